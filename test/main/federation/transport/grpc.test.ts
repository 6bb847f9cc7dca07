// Tests (Node): the gRPC transport over loopback: every RPC's bytes both ways, node auth as Flower's SuperLink checks it, errors.
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FleetTransport } from '../../../../main/federation/transport/fleet-transport.js';
import { FleetRpcError, type FleetCaller, type FleetHandler } from '../../../../main/federation/transport/fleet-handler.js';
import { createGrpcTransport } from '../../../../main/federation/transport/grpc-client.js';
import { startGrpcServer } from '../../../../main/federation/transport/grpc-server.js';
import { generateNodeIdentity } from '../../../../main/federation/transport/node-identity.js';
import { FLEET_RPCS, grpcPath, type FleetRpc } from '../../../../main/federation/transport/rpc.js';
import type { FleetServer } from '../../../../main/federation/transport/server-options.js';
import { flowerTimestamp, signMetadata, type SignedMetadata } from '../../../../main/federation/transport/signed-metadata.js';
import { TransportError } from '../../../../main/federation/transport/transport-error.js';
import { echoed, echoHandler, patternBytes } from './fixtures.js';

const identity = generateNodeIdentity();
const callers: FleetCaller[] = [];
const onInternalError = vi.fn();
let server: FleetServer;
let transport: FleetTransport;

/** Echo, except for RPCs the tests use to make the handler fail in a given way. */
const handler: FleetHandler = async (rpc, request, caller) => {
  callers.push(caller);
  const failure = Buffer.from(request).toString();
  if (failure === 'not-found') throw new FleetRpcError('NOT_FOUND', 'no such object');
  if (failure === 'denied') throw new FleetRpcError('PERMISSION_DENIED', 'run is not running');
  if (failure === 'busy') throw new FleetRpcError('UNAVAILABLE', 'try later');
  if (failure === 'bad') throw new FleetRpcError('INVALID_ARGUMENT', 'Invalid heartbeat interval');
  if (failure === 'bug') throw new Error('secret internals');
  if (failure === 'hang') return new Promise(() => undefined);
  return echoHandler(rpc, request, caller);
};

beforeAll(async () => {
  server = await startGrpcServer(handler, { host: '127.0.0.1', port: 0, insecure: true, onInternalError });
  transport = await createGrpcTransport({ address: `127.0.0.1:${server.port}`, identity, insecure: true });
});
afterAll(async () => {
  transport.close();
  await server.close();
});

async function failure(call: Promise<unknown>): Promise<TransportError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe('gRPC round trips', () => {
  it('moves the bytes of every Fleet RPC to its handler and back', async () => {
    for (const rpc of FLEET_RPCS) {
      const request = Buffer.from(`request of ${rpc}`);
      expect(await transport.call(rpc, request)).toEqual(echoed(rpc, request));
    }
  });

  it('moves empty messages (all fields default) both ways', async () => {
    const emptyHandler: FleetHandler = async () => new Uint8Array();
    const emptyServer = await startGrpcServer(emptyHandler, { host: '127.0.0.1', port: 0, insecure: true });
    const client = await createGrpcTransport({ address: `127.0.0.1:${emptyServer.port}`, identity, insecure: true });
    expect(await client.call('GetRun', new Uint8Array())).toEqual(new Uint8Array());
    client.close();
    await emptyServer.close();
  });

  it('hands the handler the verified public key of the caller', async () => {
    callers.length = 0;
    await transport.call('PullMessages', Buffer.from('x'));
    expect(callers).toEqual([{ publicKey: identity.publicKeyPem, transport: 'grpc' }]);
  });

  it('carries 6 MiB requests and responses (5 MiB object chunks plus overhead)', async () => {
    const chunk = patternBytes(6 * 1024 * 1024);
    const answer = await transport.call('PushObject', chunk);
    expect(answer.byteLength).toBe(chunk.byteLength + 'PushObject:'.length);
    expect(Buffer.from(answer.subarray('PushObject:'.length)).equals(chunk)).toBe(true);
  });

  it("refuses a request over the server's limit with RESOURCE_EXHAUSTED, not retryable", async () => {
    const small = await startGrpcServer(echoHandler, { host: '127.0.0.1', port: 0, insecure: true, maxRequestBytes: 1024 });
    const client = await createGrpcTransport({ address: `127.0.0.1:${small.port}`, identity, insecure: true });
    const error = await failure(client.call('PushObject', patternBytes(2048)));
    expect(error).toMatchObject({ code: 'RESOURCE_EXHAUSTED', retryable: false });
    client.close();
    await small.close();
  });
});

describe('handler errors over gRPC', () => {
  it.each([
    ['not-found', 'NOT_FOUND', 'no such object', false],
    ['denied', 'PERMISSION_DENIED', 'run is not running', false],
    ['bad', 'INVALID_ARGUMENT', 'Invalid heartbeat interval', false],
    ['busy', 'UNAVAILABLE', 'try later', true],
  ] as const)('%s arrives as %s with its details', async (trigger, code, details, retryable) => {
    const error = await failure(transport.call('GetRun', Buffer.from(trigger)));
    expect(error).toMatchObject({ rpc: 'GetRun', code, details, retryable });
    expect(error.message).toContain(details);
  });

  it('turns an unexpected handler failure into INTERNAL without leaking it, and tells the server', async () => {
    const error = await failure(transport.call('GetFab', Buffer.from('bug')));
    expect(error).toMatchObject({ code: 'INTERNAL', retryable: false });
    expect(error.message).not.toContain('secret');
    expect(onInternalError).toHaveBeenCalledWith(expect.objectContaining({ message: 'secret internals' }), 'GetFab');
  });
});

/** A raw call with metadata the test makes up, as a foreign or hostile client would send. */
function rawCall(rpc: FleetRpc, metadata: Metadata): Promise<ServiceError | undefined> {
  const client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      grpcPath(rpc),
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from('x'),
      metadata,
      (error) => {
        client.close();
        resolve(error ?? undefined);
      },
    );
  });
}

function metadataOf(signed: Partial<SignedMetadata>): Metadata {
  const metadata = new Metadata();
  if (signed.publicKey) metadata.set('flwr-public-key-bin', Buffer.from(signed.publicKey));
  if (signed.timestamp) metadata.set('flwr-timestamp', signed.timestamp);
  if (signed.signature) metadata.set('flwr-signature-bin', Buffer.from(signed.signature));
  return metadata;
}

describe('node auth on the gRPC server', () => {
  const refusedWith = async (metadata: Metadata, reason: string) => {
    callers.length = 0;
    const error = await rawCall('PullMessages', metadata);
    expect(error).toMatchObject({ code: 16, details: reason }); // 16: UNAUTHENTICATED
    expect(callers).toEqual([]);
  };

  it('accepts a correctly signed raw call', async () => {
    expect(await rawCall('GetRun', metadataOf(signMetadata(identity)))).toBeUndefined();
  });

  it('refuses a call without the metadata', async () => {
    await refusedWith(new Metadata(), 'Missing authentication metadata');
    const { publicKey, timestamp } = signMetadata(identity);
    await refusedWith(metadataOf({ publicKey, timestamp }), 'Missing authentication metadata');
  });

  it('refuses a header sent twice, as the SuperLink counts only single values', async () => {
    const metadata = metadataOf(signMetadata(identity));
    metadata.add('flwr-signature-bin', Buffer.from(identity.sign(Buffer.from(flowerTimestamp(new Date()), 'ascii'))));
    await refusedWith(metadata, 'Missing authentication metadata');
  });

  it('refuses a tampered signature and a signature by another key', async () => {
    const signed = signMetadata(identity);
    const tampered = new Uint8Array(signed.signature);
    tampered[12]! ^= 0x80;
    await refusedWith(metadataOf({ ...signed, signature: tampered }), 'Invalid signature');
    await refusedWith(metadataOf({ ...signed, publicKey: generateNodeIdentity().publicKeyPem }), 'Invalid signature');
  });

  it('refuses a stale and a future timestamp', async () => {
    await refusedWith(metadataOf(signMetadata(identity, new Date(Date.now() - 306_000))), 'Invalid timestamp');
    await refusedWith(metadataOf(signMetadata(identity, new Date(Date.now() + 60_000))), 'Invalid timestamp');
  });

  it('makes the client see the refusal as UNAUTHENTICATED with the reason, not worth retrying', async () => {
    const stranger = { ...generateNodeIdentity(), sign: () => new Uint8Array([0x30, 0x00]) };
    const client = await createGrpcTransport({ address: `127.0.0.1:${server.port}`, identity: stranger, insecure: true });
    const error = await failure(client.call('SendNodeHeartbeat', Buffer.from('x')));
    expect(error).toMatchObject({ rpc: 'SendNodeHeartbeat', code: 'UNAUTHENTICATED', details: 'Invalid signature', retryable: false });
    client.close();
  });
});
