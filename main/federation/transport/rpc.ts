// Runs anywhere in main: the twelve Fleet API calls and where each lives on the wire (gRPC path; REST path and media type).

/** Every RPC of Flower's `flwr.proto.Fleet` service that a party calls, in protocol order. */
export const FLEET_RPCS = [
  'RegisterNode',
  'ActivateNode',
  'DeactivateNode',
  'UnregisterNode',
  'SendNodeHeartbeat',
  'PullMessages',
  'PushMessages',
  'GetRun',
  'GetFab',
  'PushObject',
  'PullObject',
  'ConfirmMessageReceived',
] as const;

export type FleetRpc = (typeof FLEET_RPCS)[number];

const GRPC_SERVICE = 'flwr.proto.Fleet';
const REST_PREFIX = '/api/v0/fleet/';

/** `/flwr.proto.Fleet/PullMessages`: the HTTP/2 path gRPC uses for the call. */
export function grpcPath(rpc: FleetRpc): string {
  return `/${GRPC_SERVICE}/${rpc}`;
}

/** `/api/v0/fleet/pull-messages`: Flower's REST route, the RPC name in kebab case. */
export function restPath(rpc: FleetRpc): string {
  return REST_PREFIX + rpc.replace(/[A-Z]/g, (letter, index: number) => (index ? '-' : '') + letter.toLowerCase());
}

const rpcByRestPath = new Map<string, FleetRpc>(FLEET_RPCS.map((rpc) => [restPath(rpc), rpc]));

/** The RPC served at a REST path, or undefined when the path is not a Fleet route. */
export function rpcForRestPath(path: string): FleetRpc | undefined {
  return rpcByRestPath.get(path);
}

/** The one media type of Flower's REST Fleet API, for both Content-Type and Accept. */
export const PROTOBUF_MEDIA_TYPE = 'application/protobuf';

/** `application/protobuf` from `Application/Protobuf; charset=binary`: the type without parameters, lower case. */
export function mediaTypeOf(header: string | undefined): string | undefined {
  return header?.split(';')[0]?.trim().toLowerCase();
}
