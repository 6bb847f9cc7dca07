// Runs anywhere: TypeScript shapes of the Fleet requests and responses in FLEET_SCHEMA (conventions in record-types.ts).
import type { MessageProto, ObjectTree, Scalar } from './record-types.js';

export interface Node {
  nodeId: bigint;
}
export interface Reconnect {
  reconnect: bigint;
}
export type Empty = Record<string, never>;

export interface RegisterNodeFleetRequest {
  publicKey: Uint8Array;
}
export interface RegisterNodeFleetResponse {
  nodeId: bigint;
}
export interface ActivateNodeRequest {
  publicKey: Uint8Array;
  /** Seconds; Flower accepts 10..1800. */
  heartbeatInterval: number;
}
export interface ActivateNodeResponse {
  nodeId: bigint;
}
export interface DeactivateNodeRequest {
  nodeId: bigint;
}
export interface UnregisterNodeFleetRequest {
  nodeId: bigint;
}

export interface SendNodeHeartbeatRequest {
  node?: Node;
  heartbeatInterval: number;
}
export interface SendNodeHeartbeatResponse {
  success: boolean;
}

export interface PullMessagesRequest {
  node?: Node;
  messageIds: string[];
}
export interface PullMessagesResponse {
  reconnect?: Reconnect;
  messagesList: MessageProto[];
  messageObjectTrees: ObjectTree[];
}
export interface PushMessagesRequest {
  node?: Node;
  messagesList: MessageProto[];
  messageObjectTrees: ObjectTree[];
  clientappRuntimeList: number[];
}
export interface PushMessagesResponse {
  reconnect?: Reconnect;
  /** Message id -> status code (0 = stored). */
  results: Map<string, number>;
  objectsToPush: string[];
}

export interface PushObjectRequest {
  node?: Node;
  runId: bigint;
  objectId: string;
  objectContent: Uint8Array;
}
export interface PushObjectResponse {
  stored: boolean;
}
export interface PullObjectRequest {
  node?: Node;
  runId: bigint;
  objectId: string;
}
export interface PullObjectResponse {
  /** False: the id was never preregistered (a permanent failure). */
  objectFound: boolean;
  /** False: preregistered but its bytes have not arrived yet (retry). */
  objectAvailable: boolean;
  objectContent: Uint8Array;
}
export interface ConfirmMessageReceivedRequest {
  node?: Node;
  runId: bigint;
  messageObjectId: string;
}

export interface RunStatus {
  status: string;
  subStatus: string;
  details: string;
}
export interface Run {
  runId: bigint;
  fabId: string;
  fabVersion: string;
  overrideConfig: Map<string, Scalar>;
  fabHash: string;
  pendingAt: string;
  startingAt: string;
  runningAt: string;
  finishedAt: string;
  status?: RunStatus;
  flwrAid: string;
  federation: string;
  bytesSent: bigint;
  bytesRecv: bigint;
  clientappRuntime: number;
  runType: string;
}
export interface GetRunRequest {
  node?: Node;
  runId: bigint;
}
export interface GetRunResponse {
  run?: Run;
}

export interface Fab {
  hashStr: string;
  content: Uint8Array;
  verifications: Map<string, string>;
}
export interface GetFabRequest {
  node?: Node;
  hashStr: string;
  runId: bigint;
}
export interface GetFabResponse {
  fab?: Fab;
}
