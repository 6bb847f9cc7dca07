// Runs anywhere in Node: every Fleet RPC with its typed request/response codecs (where each lives on the wire is transport/rpc.ts).
import { codec, type Codec } from './codec.js';
import type * as F from './fleet-types.js';
import { fleetService } from './root.js';

export interface FleetRpcCodecs<Request, Response> {
  /** "PullMessages" */
  readonly name: string;
  readonly request: Codec<Request>;
  readonly response: Codec<Response>;
}

/** The request and response message names come from the service in FLEET_SCHEMA, so they cannot drift. */
function rpc<Request, Response>(name: string): FleetRpcCodecs<Request, Response> {
  const method = fleetService().methods[name];
  if (!method) throw new Error(`flwr.proto.Fleet has no RPC ${name}`);
  return {
    name,
    request: codec<Request>(method.requestType),
    response: codec<Response>(method.responseType),
  };
}

/** Flower 1.29's Fleet service, in its own order. */
export const fleetRpcs = {
  RegisterNode: rpc<F.RegisterNodeFleetRequest, F.RegisterNodeFleetResponse>('RegisterNode'),
  ActivateNode: rpc<F.ActivateNodeRequest, F.ActivateNodeResponse>('ActivateNode'),
  DeactivateNode: rpc<F.DeactivateNodeRequest, F.Empty>('DeactivateNode'),
  UnregisterNode: rpc<F.UnregisterNodeFleetRequest, F.Empty>('UnregisterNode'),
  SendNodeHeartbeat: rpc<F.SendNodeHeartbeatRequest, F.SendNodeHeartbeatResponse>('SendNodeHeartbeat'),
  PullMessages: rpc<F.PullMessagesRequest, F.PullMessagesResponse>('PullMessages'),
  PushMessages: rpc<F.PushMessagesRequest, F.PushMessagesResponse>('PushMessages'),
  GetRun: rpc<F.GetRunRequest, F.GetRunResponse>('GetRun'),
  GetFab: rpc<F.GetFabRequest, F.GetFabResponse>('GetFab'),
  PushObject: rpc<F.PushObjectRequest, F.PushObjectResponse>('PushObject'),
  PullObject: rpc<F.PullObjectRequest, F.PullObjectResponse>('PullObject'),
  ConfirmMessageReceived: rpc<F.ConfirmMessageReceivedRequest, F.Empty>('ConfirmMessageReceived'),
} as const;

export type FleetRpcName = keyof typeof fleetRpcs;
export type FleetRequest<N extends FleetRpcName> = (typeof fleetRpcs)[N] extends FleetRpcCodecs<infer Request, unknown> ? Request : never;
export type FleetResponse<N extends FleetRpcName> =
  (typeof fleetRpcs)[N] extends FleetRpcCodecs<unknown, infer Response> ? Response : never;
