// Runs in the aggregator (plain Node): one FedAvg phase: send to the sampled nodes, take replies as they complete, drop stragglers.
import type { MessageLimits } from '../wire/limits.js';
import type { ObjectTree } from '../wire/proto/record-types.js';
import { inflateMessage } from '../wire/objects/inflate.js';
import type { Message } from '../wire/records/model.js';
import { sendInstructions, type PhaseContent } from './instructions.js';
import type { LinkState } from './link-state.js';
import type { NodeProblem } from './metrics-history.js';

/** How often nodes of a phase are checked for having gone offline (their heartbeat window ended, or they left). */
const LIVENESS_CHECK_MS = 200;

export interface PhaseRequest<T> {
  nodes: readonly bigint[];
  content: PhaseContent;
  messageType: 'train' | 'evaluate';
  round: number;
  timeoutMs: number;
  /** What a reply may hold: one over it is refused while it is read. */
  limits: MessageLimits;
  /** Decides on each complete reply as it arrives: the value to keep, or why it is refused. */
  judge: (message: Message, node: bigint) => T | string;
  /** Told at once when a node is dropped, rather than when the phase ends. */
  onDropped?: (problem: NodeProblem) => void;
  signal?: AbortSignal;
}

export interface PhaseResult<T> {
  accepted: { node: bigint; value: T }[];
  refused: NodeProblem[];
  dropped: NodeProblem[];
}

/**
 * Resolves once every node has answered, gone offline, or the timeout has passed. A node whose reply is stored
 * but whose objects are still arriving when it goes offline is dropped, as Flower answers "Node Unavailable" for it.
 * Whatever happens, the phase's messages and replies leave the object store before this returns.
 */
export function runPhase<T extends object>(state: LinkState, request: PhaseRequest<T>): Promise<PhaseResult<T>> {
  request.signal?.throwIfAborted();
  const pending = sendInstructions(state, request.nodes, request.content, request.messageType, request.round);
  const all = [...pending.keys()];
  const result: PhaseResult<T> = { accepted: [], refused: [], dropped: [] };
  return new Promise<PhaseResult<T>>((resolve, reject) => {
    let reading = 0;
    const settleIfDone = () => {
      if (pending.size > 0 || reading > 0) return;
      finish();
      resolve(result);
    };
    const drop = (instructionId: string, reason: string) => {
      const node = pending.get(instructionId);
      if (node === undefined) return;
      pending.delete(instructionId);
      const problem = { node: String(node), reason };
      result.dropped.push(problem);
      request.onDropped?.(problem);
    };
    state.onReplyComplete = (instructionId) => {
      const node = pending.get(instructionId);
      const metadata = state.completeReply(instructionId);
      if (node === undefined || !metadata) return;
      pending.delete(instructionId);
      reading += 1;
      const tree: ObjectTree = state.store.tree(metadata.messageId);
      inflateMessage({ metadata }, tree, (id) => state.store.get(id)!, {
        maxBytes: request.limits.bytes,
        maxObjects: request.limits.objects,
        maxStructureObjectBytes: request.limits.structureObjectBytes,
        maxSettingBytes: request.limits.settingBytes,
      })
        .then(
          (message) => request.judge(message, node),
          (error: Error) => `its objects do not make a message: ${error.message}`,
        )
        .then((value) => {
          if (typeof value === 'string') result.refused.push({ node: String(node), reason: value });
          else result.accepted.push({ node, value });
          // Read: its bytes are no longer needed (nor are the instruction's, which the node has).
          state.forget([instructionId]);
        })
        .catch(reject)
        .finally(() => {
          reading -= 1;
          settleIfDone();
        });
    };
    const liveness = setInterval(() => {
      for (const [instructionId, node] of pending) {
        if (!state.registry.isOnline(node))
          drop(instructionId, `went offline (${state.registry.status(node) ?? 'unknown'}) before its reply was complete`);
      }
      settleIfDone();
    }, LIVENESS_CHECK_MS);
    const timeout = setTimeout(() => {
      for (const instructionId of [...pending.keys()])
        drop(instructionId, `no complete reply within the round timeout of ${request.timeoutMs / 1000} s (straggler)`);
      settleIfDone();
    }, request.timeoutMs);
    const abort = () => {
      finish();
      reject(request.signal!.reason);
    };
    request.signal?.addEventListener('abort', abort, { once: true });
    function finish() {
      clearInterval(liveness);
      clearTimeout(timeout);
      request.signal?.removeEventListener('abort', abort);
      state.onReplyComplete = () => {};
      state.forget(all);
    }
    settleIfDone();
  });
}
