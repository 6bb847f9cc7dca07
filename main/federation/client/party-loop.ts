// Runs in the party (plain Node): the party's life at the server: join, heartbeat, poll and serve, rejoin when the node is lost, leave.
import type { FederationSection } from '../../../common/federation-config.js';
import { backoffDelay, retry, sleep, type RetryInfo } from '../transport/backoff.js';
import type { NodeIdentity } from '../transport/node-identity.js';
import type { MessageLimits } from '../wire/limits.js';
import type { PullMessagesResponse } from '../wire/proto/fleet-types.js';
import { SecAggPlusClient } from '../secagg/client.js';
import type { AuditLog } from './audit-log.js';
import type { FleetClient } from './fleet-client.js';
import type { InHandFile } from './in-hand.js';
import { Heartbeat } from './heartbeat.js';
import { joinFederation, leaveFederation, serverAnswered } from './node-session.js';
import { ObjectCache } from './object-cache.js';
import type { PartyControls } from './party-controls.js';
import type { PartyEvent, PartyState } from './party-events.js';
import { isGarbageAnswer, sortPulled } from './pulled.js';
import type { RunWatch } from './run-watch.js';
import { answerInterrupted, refuseUnserved, serveMessage, type ServeContext } from './serve-message.js';
import type { WorkContext } from './work.js';

export interface LoopEnv {
  client: FleetClient;
  identity: NodeIdentity;
  section: FederationSection;
  controls: PartyControls;
  audit: AuditLog;
  inHand: InHandFile;
  work: WorkContext;
  /** The run being served: told of each message before its work begins, asked to check on it when there is no work, told of a lost server. */
  runs: Pick<RunWatch, 'serving' | 'check' | 'lost'>;
  /** What one message from the server may hold (InboundLimits.message). */
  messageLimits: MessageLimits;
  /** How long a leaving node stays online after its last reply, so the server reads the reply before the node goes. */
  replyReadMs: number;
  setState: (state: PartyState) => void;
  /** idle, or paused when the operator paused the party. */
  setIdle: (nodeId: bigint) => void;
  emit: (event: PartyEvent) => void;
  /** The node is gone at the server: drop the task in hand. */
  stopWork: () => void;
  /** After UnregisterNode: the key can never join that server again, so the next join must make a new one. */
  retireKey: () => Promise<void>;
}

/** Until leave: connect (with backoff), serve while connected, and connect again whenever the node is lost. */
export async function runParty(env: LoopEnv): Promise<void> {
  const { controls } = env;
  // Kept across reconnects (ids are content hashes, valid at any server), held in memory only, and dropped on leave.
  // Four messages: under SecAgg+ the model the last evaluate carried comes back in collect_masked_vectors, after setup
  // and share_keys (keys only); the byte bound (one message) still holds, so FedAvg keeps what it kept.
  const cache = new ObjectCache({ maxBytes: env.messageLimits.bytes, maxMessages: 4 });
  let previousNodeId: bigint | undefined;
  for (let failures = 0; !controls.leave;) {
    const signal = controls.startSession();
    env.setState({ type: 'connecting', attempt: 1, lastError: null, refused: false, retryInMs: null });
    let failure: unknown;
    const nodeId = await connect(env, signal, previousNodeId).catch((error: unknown) => {
      if (!signal.aborted) env.emit({ type: 'error', message: `joining failed: ${(error as Error).message}` });
      failure = error;
      return undefined;
    });
    if (nodeId === undefined) {
      if (controls.leave) continue;
      const delayMs = backoffDelay(failures++);
      // What failed stays in the status while the loop waits (a changed certificate, a refused registration), not "connecting".
      if (!signal.aborted) env.setState(connectingState({ error: failure, attempt: failures, delayMs }));
      await controls.idle(delayMs, controls.hard.signal);
      continue;
    }
    failures = 0;
    previousNodeId = nodeId;
    await serveWhileConnected(env, nodeId, signal, cache);
    if (controls.leave) await depart(env, nodeId);
  }
  cache.clear();
  env.setState({ type: 'disconnected', reason: 'left the federation' });
}

/** The connecting state, with what failed and when the next try is. */
function connectingState(info: RetryInfo): PartyState {
  const lastError = (info.error as Error).message ?? String(info.error);
  return {
    type: 'connecting',
    attempt: info.attempt + 1,
    lastError,
    refused: serverAnswered(info.error),
    retryInMs: Math.round(info.delayMs),
  };
}

async function connect(env: LoopEnv, signal: AbortSignal, previousNodeId: bigint | undefined): Promise<bigint> {
  const { section, client, identity } = env;
  const notice = (message: string) => env.emit({ type: 'notice', message });
  const nodeId = await joinFederation({
    client,
    identity,
    heartbeatIntervalSec: section.heartbeat_interval,
    register: section.register,
    signal,
    notice,
    onRetry: (info) => env.setState(connectingState(info)),
    ...(previousNodeId !== undefined && { previousNodeId }),
  });
  notice(`joined ${section.server} as node ${nodeId} (key ${identity.fingerprint})`);
  return nodeId;
}

async function serveWhileConnected(env: LoopEnv, nodeId: bigint, signal: AbortSignal, cache: ObjectCache): Promise<void> {
  const { client, section } = env;
  const heartbeat = new Heartbeat({
    intervalSec: section.heartbeat_interval,
    send: (beatSignal, timeoutMs) => client.sendNodeHeartbeat(nodeId, section.heartbeat_interval, { signal: beatSignal, timeoutMs }),
    onLost: (reason) => lose(env, reason),
  });
  heartbeat.start();
  env.setIdle(nodeId);
  try {
    const lastReplyAt = await pollLoop(env, nodeId, signal, cache);
    if (env.controls.leave) await letServerReadReply(env, lastReplyAt);
  } catch (error) {
    if (!signal.aborted) lose(env, (error as Error).message);
  } finally {
    await heartbeat.stop();
  }
}

/** Serves messages until leave or the connection ends; returns when (performance.now()) the last reply was pushed. */
async function pollLoop(env: LoopEnv, nodeId: bigint, signal: AbortSignal, cache: ObjectCache): Promise<number | undefined> {
  const { controls } = env;
  const context: ServeContext = {
    client: env.client,
    nodeId,
    signal,
    limits: env.messageLimits,
    cache,
    audit: env.audit,
    inHand: env.inHand,
    work: env.work,
    secagg: new SecAggPlusClient(),
    emit: env.emit,
    declining: (metadata) => controls.declining(metadata),
    stopRequested: () => controls.stopRequested,
  };
  await answerInterrupted(context);
  let lastReplyAt: number | undefined;
  while (!controls.leave && !signal.aborted) {
    const { serve, refuse } = sortPulled(await pull(env, nodeId, signal));
    env.setIdle(nodeId);
    for (const unserved of refuse) {
      const refused = await refuseUnserved(unserved, context);
      if (refused) env.emit({ type: 'round', ...refused });
    }
    if (!serve) {
      await env.runs.check(env.client, nodeId, signal);
      await controls.idle(env.section.poll_interval * 1000, signal);
      continue;
    }
    controls.working = true;
    env.runs.serving(serve.proto.metadata.runId);
    const summary = await serveMessage(serve.proto, serve.tree, context).finally(() => {
      controls.working = false;
      controls.stopRequested = false;
    });
    env.emit({ type: 'round', ...summary });
    if (summary.outcome !== 'failed') lastReplyAt = performance.now();
    env.setIdle(nodeId);
  }
  return lastReplyAt;
}

/**
 * Flower's SuperLink answers a ServerApp asking for replies with "Node Unavailable" for every node that is no longer
 * online, even one whose reply it holds, and the ServerApp asks every 3 s. So a node leaving right after its reply
 * stays online (heartbeats running) until the server has had time to read it; a hard leave cuts the wait short.
 */
async function letServerReadReply(env: LoopEnv, lastReplyAt: number | undefined): Promise<void> {
  const waitMs = lastReplyAt === undefined ? 0 : lastReplyAt + env.replyReadMs - performance.now();
  if (waitMs <= 0) return;
  env.emit({ type: 'notice', message: `leaving in ${(waitMs / 1000).toFixed(1)} s, once the server has read the last reply` });
  await sleep(waitMs, env.controls.hard.signal).catch(() => {});
}

/**
 * PullMessages, retried (and shown as connecting) while the server is unreachable; a refusal means the server lost
 * this node. An answer that cannot be read (garbage, too large) comes back as its error, to be refused and audited.
 */
async function pull(env: LoopEnv, nodeId: bigint, signal: AbortSignal): Promise<PullMessagesResponse | Error> {
  const onRetry = (info: RetryInfo) => {
    env.runs.lost((info.error as Error).message ?? String(info.error), 'trying again');
    env.setState(connectingState(info));
  };
  const pulled = retry(() => env.client.pullMessages(nodeId, { signal }), { signal, onRetry });
  return pulled.catch((error: unknown) => {
    if (isGarbageAnswer(error) && !signal.aborted) return error;
    throw error;
  });
}

/** The server no longer knows this node (it restarted, or dropped us): end this connection and join again. */
function lose(env: LoopEnv, reason: string): void {
  const { controls } = env;
  if (controls.session?.signal.aborted) return;
  env.runs.lost(reason, 'joining again');
  if (controls.working) env.stopWork();
  controls.session?.abort(new Error(reason));
}

async function depart(env: LoopEnv, nodeId: bigint): Promise<void> {
  const { unregistered, problems } = await leaveFederation(env.client, nodeId, { unregister: env.section.register, timeoutMs: 5_000 });
  for (const problem of problems) env.emit({ type: 'notice', message: `leaving: ${problem}` });
  if (unregistered) await env.retireKey();
}
