// Tests (Node, real sockets): an answer over its cap is refused from its declared length, unread, over REST and gRPC; what the server got out shows it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../../../main/federation/transport/create-transport.js';
import type { FleetTransport } from '../../../../main/federation/transport/fleet-transport.js';
import { generateNodeIdentity } from '../../../../main/federation/transport/node-identity.js';
import type { FleetServer } from '../../../../main/federation/transport/server-options.js';
import { TransportError } from '../../../../main/federation/transport/transport-error.js';
import { hostileGrpc, hostileRest, Hostility } from '../hostile/raw-servers.js';
import { echoHandler, LOOPBACK, patternBytes, transportFailure } from './fixtures.js';

const CAP = 1024 * 1024;
const CLAIMED = 2 ** 31;

describe.each(['rest', 'grpc'] as const)('answers over their cap, over %s', (kind) => {
  const hostility = new Hostility();
  let server: FleetServer;
  let transport: FleetTransport;

  beforeAll(async () => {
    server = await (kind === 'rest' ? hostileRest(hostility) : hostileGrpc(hostility))(echoHandler, { ...LOOPBACK, insecure: true });
    const address = `127.0.0.1:${server.port}`;
    const options = { address, insecure: true, maxAnswerBytes: CAP };
    transport = await createTransport(kind === 'rest' ? { kind, ...options } : { kind, ...options, identity: generateNodeIdentity() });
  });
  afterAll(async () => {
    transport.close();
    await server.close();
  });

  it('takes an answer up to the cap', async () => {
    const request = patternBytes(CAP - 'PullObject:'.length);
    expect((await transport.call('PullObject', request)).byteLength).toBe(CAP);
  });

  it('refuses an answer that declares 2 GiB from its length, having read next to nothing of it', async () => {
    hostility.next('PullObject', { flood: { declared: CLAIMED } });
    const by = kind === 'rest' ? 'Content-Length' : 'gRPC length prefix';
    const error = await transportFailure(transport.call('PullObject', new Uint8Array(1)));
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'TOO_LARGE', retryable: false });
    const refusal = `the answer declares ${CLAIMED} bytes (${by}), more than the ${CAP} bytes a PullObject answer may bring: refused unread`;
    expect(error.message).toBe(`PullObject failed: TOO_LARGE: ${refusal}`);
    // What the server got out before the party closed the stream: socket and flow-control buffers, not the 2 GiB.
    const flood = await hostility.lastFlood();
    expect(flood.sent).toBeLessThan(32 * CAP);
  });

  it('takes the next call on a fresh stream after a refusal', async () => {
    expect(await transport.call('GetRun', new Uint8Array([7]))).toEqual(new Uint8Array([...Buffer.from('GetRun:'), 7]));
  });

  it('holds a call to its own smaller cap', async () => {
    const error = await transportFailure(transport.call('PullMessages', patternBytes(4096), { maxAnswerBytes: 1024 }));
    const size = 4096 + 'PullMessages:'.length;
    const refusal = `the answer (declares|is) ${size} bytes.*, more than the 1024 bytes a PullMessages answer may bring: refused`;
    expect(error.message).toMatch(new RegExp(`^PullMessages failed: TOO_LARGE: ${refusal}`));
  });
});

describe('a REST answer without a length', () => {
  it('is read only until it runs past the cap', async () => {
    const hostility = new Hostility();
    const server = await hostileRest(hostility)(echoHandler, { ...LOOPBACK, insecure: true });
    const transport = await createTransport({ kind: 'rest', address: `127.0.0.1:${server.port}`, insecure: true, maxAnswerBytes: CAP });
    try {
      hostility.next('PullObject', { flood: { declared: null } });
      const error = await transportFailure(transport.call('PullObject', new Uint8Array(1)));
      const refusal = `the answer ran past ${CAP} bytes, more than the ${CAP} bytes a PullObject answer may bring: stopped reading`;
      expect(error.message).toBe(`PullObject failed: TOO_LARGE: ${refusal}`);
      expect((await hostility.lastFlood()).sent).toBeLessThan(32 * CAP);
    } finally {
      transport.close();
      await server.close();
    }
  });
});
