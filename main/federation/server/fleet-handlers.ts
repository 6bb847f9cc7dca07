// Runs in the aggregator (plain Node): the twelve Fleet RPCs with the semantics of Flower 1.29's message_handler.
import { flowerTimestamp } from '../transport/signed-metadata.js';
import { FleetRpcError } from '../transport/fleet-handler.js';
import { WireError } from '../wire/errors.js';
import type { MessageLimits } from '../wire/limits.js';
import { treeObjects } from '../wire/objects/fetch-tree.js';
import type { WireInput } from '../wire/proto/codec.js';
import type { FleetRequest, FleetResponse, FleetRpcName } from '../wire/proto/fleet-rpcs.js';
import type { Run } from '../wire/proto/fleet-types.js';
import type { ObjectTree } from '../wire/proto/record-types.js';
import type { AggregatorEvents } from './events.js';
import type { LinkState } from './link-state.js';

export interface HandlerContext {
  state: LinkState;
  events: AggregatorEvents;
  /** What a reply for the global model can hold: a node's reply trees and objects are held to it. */
  limits: MessageLimits;
}

type Handler<N extends FleetRpcName> = (request: FleetRequest<N>, context: HandlerContext) => WireInput<FleetResponse<N>>;
type FleetHandlers = { [N in FleetRpcName]: Handler<N> };

/** Flower's PushMessages answer asks the node to reconnect after 5 s; nodes ignore it, but it is part of the answer. */
const RECONNECT_S = 5n;
/** A node's public key is an EC key as PEM (about 215 bytes for P-384); nothing honest comes near this. */
const MAX_PUBLIC_KEY_BYTES = 4096;

export const fleetHandlers: FleetHandlers = {
  RegisterNode: ({ publicKey }, { state, events }) => {
    const nodeId = state.registry.register(checkedKey(publicKey));
    events.log('info', `node ${nodeId} registered`);
    return { nodeId };
  },
  ActivateNode: ({ publicKey, heartbeatInterval }, { state, events }) => {
    const nodeId = state.registry.activate(checkedKey(publicKey), heartbeatInterval);
    events.log('info', `node ${nodeId} activated (heartbeat every ${heartbeatInterval} s)`);
    return { nodeId };
  },
  DeactivateNode: ({ nodeId }, { state, events }) => {
    state.registry.deactivate(nodeId);
    events.log('info', `node ${nodeId} deactivated`);
    return {};
  },
  UnregisterNode: ({ nodeId }, { state, events }) => {
    state.registry.unregister(nodeId);
    events.log('info', `node ${nodeId} unregistered`);
    return {};
  },
  SendNodeHeartbeat: ({ node, heartbeatInterval }, { state }) => ({
    success: state.registry.heartbeat(node?.nodeId ?? 0n, heartbeatInterval),
  }),
  PullMessages: ({ node }, { state }) => {
    const next = state.nextInstructionFor(node?.nodeId ?? 0n);
    return next ? { messagesList: [next.message], messageObjectTrees: [next.tree] } : {};
  },
  PushMessages: ({ node, messagesList, messageObjectTrees }, { state, events, limits }) => {
    const nodeId = node?.nodeId ?? 0n;
    if (messagesList.length !== 1)
      throw new FleetRpcError('INVALID_ARGUMENT', `PushMessages carries ${messagesList.length} messages; send exactly one reply per call`);
    const [message] = messagesList as [(typeof messagesList)[0]];
    state.checkRun(message.metadata?.runId ?? 0n);
    const tree = messageObjectTrees[0];
    if (tree) checkTree(tree, limits);
    const receipt = state.storeReply(message, tree, nodeId);
    if (!receipt.stored) {
      events.log('warn', `reply from node ${nodeId} dropped: ${receipt.why}`);
      return { reconnect: { reconnect: RECONNECT_S } };
    }
    return { reconnect: { reconnect: RECONNECT_S }, results: new Map([[receipt.messageId, 0]]), objectsToPush: receipt.objectsToPush };
  },
  /**
   * A finished run is answered with its status, so a node learns the federation is over before the aggregator
   * exits (Flower's SuperLink refuses instead, "Run is finished.", and a party reads either).
   */
  GetRun: ({ node, runId }, { state }) => {
    const nodeId = node?.nodeId ?? 0n;
    checkNodeInFederation(state, nodeId);
    if (runId !== state.runId)
      throw new FleetRpcError('PERMISSION_DENIED', `Run ID not found: ${runId} (this aggregator runs ${state.runId})`);
    if (state.finished) state.toldFinished.add(nodeId);
    return { run: runInfo(state) };
  },
  GetFab: ({ hashStr }) => {
    throw new FleetRpcError(
      'NOT_FOUND',
      `Found no FAB with hash: ${JSON.stringify(hashStr)}; this aggregator serves no FABs (the party brings its own code)`,
    );
  },
  PushObject: ({ node, runId, objectId, objectContent }, { state, events, limits }) => {
    state.checkRun(runId);
    if (objectContent.byteLength > limits.objectBytes) {
      const size = `object ${objectId.slice(0, 64)} of ${objectContent.byteLength} bytes`;
      throw new FleetRpcError('INVALID_ARGUMENT', `${size}: no object of a reply for this model is over ${limits.objectBytes}`);
    }
    const outcome = state.store.put(objectId, objectContent);
    if (outcome === 'id-mismatch')
      events.log(
        'error',
        `node ${node?.nodeId ?? 0n} pushed ${objectContent.byteLength} bytes as object ${objectId}, but they hash to another id: not stored`,
      );
    if (outcome === 'not-preregistered')
      events.log('warn', `node ${node?.nodeId ?? 0n} pushed object ${objectId}, which no open reply lists: not stored`);
    return { stored: outcome === 'stored' };
  },
  PullObject: ({ runId, objectId }, { state }) => {
    state.checkRun(runId);
    const content = state.store.get(objectId);
    if (content === undefined) return { objectFound: false, objectAvailable: false };
    return { objectFound: true, objectAvailable: content.byteLength > 0, objectContent: content };
  },
  ConfirmMessageReceived: ({ node, runId, messageObjectId }, { state }) => {
    state.checkRun(runId);
    state.confirmReceived(messageObjectId, node?.nodeId ?? 0n);
    return {};
  },
};

function checkedKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.byteLength > MAX_PUBLIC_KEY_BYTES) {
    throw new FleetRpcError('INVALID_ARGUMENT', `a public key of ${publicKey.byteLength} bytes (at most ${MAX_PUBLIC_KEY_BYTES})`);
  }
  return publicKey;
}

/** A reply's tree is refused before any object of it is registered when it is not one a reply for this model can have. */
function checkTree(tree: ObjectTree, limits: MessageLimits): void {
  try {
    treeObjects(tree, limits.objects);
  } catch (error) {
    if (error instanceof WireError) throw new FleetRpcError('INVALID_ARGUMENT', `reply refused: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Flower's _validate_node_in_federation: the asking node must be registered (REST calls carry no key to check). */
function checkNodeInFederation(state: LinkState, nodeId: bigint): void {
  const status = state.registry.status(nodeId);
  if (status === undefined || status === 'unregistered')
    throw new FleetRpcError('PERMISSION_DENIED', `SuperNode ${nodeId} is not part of the federation`);
}

function runInfo(state: LinkState): WireInput<Run> {
  const created = flowerTimestamp(state.createdAt);
  const { finished } = state;
  return {
    runId: state.runId,
    pendingAt: created,
    startingAt: created,
    runningAt: created,
    ...(finished && { finishedAt: flowerTimestamp(finished.at) }),
    status: { status: state.status, subStatus: finished?.as ?? '', details: '' },
    federation: '@none/default',
    runType: 'serverapp',
  };
}
