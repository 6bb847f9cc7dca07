// Runs anywhere in main: the Fleet service as grpc-js sees it, moving raw protobuf bytes (the wire layer encodes them).
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { asBuffer, asBytes } from './bytes.js';
import { FLEET_RPCS, grpcPath, type FleetRpc } from './rpc.js';

/**
 * Flower sets its gRPC message limit to 2 GiB - 1 on both ends: the most either end sends. What each end takes in is
 * held to what its model can need instead (the party's answer limits, the aggregator's request limit).
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
