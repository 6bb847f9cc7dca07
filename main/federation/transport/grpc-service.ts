// Runs anywhere in main: the Fleet service as grpc-js sees it, moving raw protobuf bytes (the wire layer encodes them).
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { asBuffer, asBytes } from './bytes.js';
import { FLEET_RPCS, grpcPath, type FleetRpc } from './rpc.js';

/**
 * Flower sets its gRPC message limit to 2 GiB - 1 on both ends; a party uses the same so that whatever a
 * SuperLink sends (5 MiB object chunks, FABs up to 10 MB, or more if a site raises the chunk size) gets through.
 */
export const FLOWER_MAX_MESSAGE_BYTES = 2_147_483_647;

function unaryBytesMethod(rpc: FleetRpc): MethodDefinition<Uint8Array, Uint8Array> {
  return {
    path: grpcPath(rpc),
    requestStream: false,
    responseStream: false,
    requestSerialize: asBuffer,
    requestDeserialize: asBytes,
    responseSerialize: asBuffer,
    responseDeserialize: asBytes,
  };
}

export const FLEET_SERVICE: ServiceDefinition = Object.fromEntries(FLEET_RPCS.map((rpc) => [rpc, unaryBytesMethod(rpc)]));

export function fleetMethod(rpc: FleetRpc): MethodDefinition<Uint8Array, Uint8Array> {
  return FLEET_SERVICE[rpc] as MethodDefinition<Uint8Array, Uint8Array>;
}
