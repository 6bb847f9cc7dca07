// Runs anywhere in main: the gRPC ("grpc-rere") Fleet client; every call carries Flower's signed node-auth metadata.
import { Client, credentials, Metadata, status as GrpcStatus, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { fleetAddressProblem } from '../../../common/fleet-address.js';
import {
  DEFAULT_MAX_ANSWER_BYTES,
  type AnswerLimit,
  type CallOptions,
  type FleetTransport,
  type TransportSecurity,
} from './fleet-transport.js';
import { asBuffer } from './bytes.js';
import { fleetMethod, FLOWER_MAX_MESSAGE_BYTES } from './grpc-service.js';
import type { NodeIdentity } from './node-identity.js';
import type { FleetRpc } from './rpc.js';
import { PUBLIC_KEY_HEADER, SIGNATURE_HEADER, signMetadata, TIMESTAMP_HEADER } from './signed-metadata.js';
import { pinnedServerIdentity } from './pinned-ca.js';
import { readRootCertificates } from './tls-files.js';
import { fromGrpcError, tooLargeError, TransportError } from './transport-error.js';

export interface GrpcTransportOptions extends TransportSecurity, AnswerLimit {
  /** `host:port`, e.g. `superlink.example.org:9092` or `[::1]:9092`. */
  address: string;
  identity: NodeIdentity;
}

/**
 * grpc-js holds one receive limit per channel, the largest answer any call may bring: it refuses a bigger message
 * from its 5-byte length prefix, before reading the message (and a compressed one once it inflates past the limit).
 * A call whose own cap is smaller checks the answer against it on arrival.
 */
function channelOptions(maxAnswerBytes: number) {
  return {
    'grpc.max_send_message_length': FLOWER_MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': maxAnswerBytes,
    // The party's retry() paces reconnection. grpc-js's own reconnect backoff grows to 2 minutes, and while it runs
    // every call fails at once, so a restarted server would stay unreachable long after it is back.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 500,
  };
}

export async function createGrpcTransport(options: GrpcTransportOptions): Promise<FleetTransport> {
  const problem = fleetAddressProblem('grpc', options.address, options.insecure === true);
  if (problem) throw new Error(problem);
  const { maxAnswerBytes = DEFAULT_MAX_ANSWER_BYTES } = options;
  const client = new Client(options.address, await channelCredentials(options), channelOptions(maxAnswerBytes));
  return {
    kind: 'grpc',
    call: (rpc, request, callOptions = {}) =>
      unaryCall(client, options.identity, rpc, request, { channelLimit: maxAnswerBytes, ...callOptions }),
    close: () => client.close(),
  };
}

async function channelCredentials(security: TransportSecurity): Promise<ChannelCredentials> {
  const roots = await readRootCertificates(security);
  // With no CA file, grpc-js trusts the system's root certificates, as Flower's client does.
  if (security.insecure) return credentials.createInsecure();
  const pin = security.pinnedCaSha256;
  return credentials.createSsl(roots ?? null, null, null, pin ? { checkServerIdentity: pinnedServerIdentity(pin) } : {});
}

/** Flower signs every call, even over plain text: the SuperLink refuses calls without it. */
function signedMetadata(identity: NodeIdentity): Metadata {
  const signed = signMetadata(identity);
  const metadata = new Metadata();
  metadata.set(PUBLIC_KEY_HEADER, asBuffer(signed.publicKey));
  metadata.set(TIMESTAMP_HEADER, signed.timestamp);
  metadata.set(SIGNATURE_HEADER, asBuffer(signed.signature));
  return metadata;
}

type UnaryOptions = CallOptions & { channelLimit: number };

function unaryCall(client: Client, identity: NodeIdentity, rpc: FleetRpc, request: Uint8Array, options: UnaryOptions): Promise<Uint8Array> {
  const { timeoutMs, signal, channelLimit, maxAnswerBytes = channelLimit } = options;
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const method = fleetMethod(rpc);
    const deadline = timeoutMs === undefined ? {} : { deadline: Date.now() + timeoutMs };
    const onAbort = () => call.cancel();
    const call = startCall(client, rpc, () =>
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        signedMetadata(identity),
        deadline,
        (error, response) => {
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) reject(signal.reason);
          else if (error) reject(failureOf(rpc, error, channelLimit));
          else if (response!.byteLength > maxAnswerBytes) reject(tooLargeError(rpc, maxAnswerBytes, { received: response!.byteLength }));
          else resolve(response!);
        },
      ),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * grpc-js's refusal of an answer over the channel's limit, said as the REST client says it; any other error as it
 * is. A server refusing the request too large says it in the same words, but of its own limit.
 */
function failureOf(rpc: FleetRpc, error: ServiceError, channelLimit: number): TransportError {
  if (error.code !== GrpcStatus.RESOURCE_EXHAUSTED) return fromGrpcError(rpc, error);
  const prefixed = /^Received message larger than max \((\d+) vs (\d+)\)$/.exec(error.details);
  if (Number(prefixed?.[2]) === channelLimit)
    return tooLargeError(rpc, channelLimit, { declared: Number(prefixed![1]), by: 'gRPC length prefix' });
  const inflated = /^Received message that decompresses to a size larger than (\d+)$/.exec(error.details);
  return Number(inflated?.[1]) === channelLimit ? tooLargeError(rpc, channelLimit, 'overran') : fromGrpcError(rpc, error);
}

/** grpc-js throws instead of calling back when the client was closed; that is the caller's doing, not the network's. */
function startCall<T>(client: Client, rpc: FleetRpc, start: () => T): T {
  try {
    return start();
  } catch (error) {
    throw new TransportError(rpc, 'CLOSED', `the gRPC client for ${client.getChannel().getTarget()} is closed`, false, { cause: error });
  }
}
