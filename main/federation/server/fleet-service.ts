// Runs in the aggregator (plain Node): decodes each Fleet call, checks the caller's node as Flower's auth interceptor does, and encodes the answer.
import { FleetRpcError, type FleetCaller, type FleetHandler } from '../transport/fleet-handler.js';
import { WireError } from '../wire/errors.js';
import type { Codec } from '../wire/proto/codec.js';
import { fleetRpcs, type FleetRpcName } from '../wire/proto/fleet-rpcs.js';
import { fleetHandlers, type HandlerContext } from './fleet-handlers.js';

/** The transports' one handler: bytes in, bytes out, refusals as FleetRpcError. */
export function fleetService(context: HandlerContext): FleetHandler {
  return async (rpc, bytes, caller) => dispatch(rpc, bytes, caller, context);
}

/** One place where the name-indexed codecs and handlers meet; TypeScript cannot correlate them through a generic name. */
type AnyRpc = { request: Codec<object>; response: Codec<object> };
type AnyHandler = (request: object, context: HandlerContext) => object;

function dispatch(name: FleetRpcName, bytes: Uint8Array, caller: FleetCaller, context: HandlerContext): Uint8Array {
  const rpc = fleetRpcs[name] as unknown as AnyRpc;
  let request: object;
  try {
    request = rpc.request.decode(bytes);
  } catch (error) {
    if (error instanceof WireError) throw new FleetRpcError('INVALID_ARGUMENT', error.message, { cause: error });
    throw error;
  }
  if (caller.transport === 'grpc') checkCaller(name, request, caller.publicKey, context);
  return rpc.response.encode((fleetHandlers[name] as AnyHandler)(request, context));
}

/**
 * Flower's NodeAuthServerInterceptor: apart from RegisterNode and ActivateNode, the node id a gRPC request names
 * must be the node of the key that signed the call. Flower does not compare the key inside Register/Activate with
 * the signing key; doing so here refuses nothing a SuperNode sends (it puts the same key in both).
 */
function checkCaller(name: FleetRpcName, request: unknown, publicKey: Uint8Array | undefined, { state }: HandlerContext): void {
  if (!publicKey) throw new FleetRpcError('UNAUTHENTICATED', 'Missing authentication metadata');
  if (name === 'RegisterNode' || name === 'ActivateNode') {
    const { publicKey: named } = request as { publicKey: Uint8Array };
    if (!Buffer.from(named).equals(Buffer.from(publicKey))) {
      throw new FleetRpcError('UNAUTHENTICATED', `${name}: the public key in the request is not the key that signed the call`);
    }
    return;
  }
  const named = nodeIdOf(request);
  if (named !== state.registry.nodeIdForKey(publicKey))
    throw new FleetRpcError('UNAUTHENTICATED', `Invalid node ID ${named}: it does not belong to the key that signed the call`);
}

function nodeIdOf(request: unknown): bigint {
  const { node, nodeId } = request as { node?: { nodeId: bigint }; nodeId?: bigint };
  return nodeId ?? node?.nodeId ?? 0n;
}
