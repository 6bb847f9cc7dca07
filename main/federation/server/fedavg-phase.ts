// Runs in the aggregator (plain Node): one phase of a FedAvg round: wait for nodes, sample, send, judge replies, summarise.
import { setTimeout as sleep } from 'node:timers/promises';
import type { NamedArray } from '../../engine/weights.js';
import { messageLimits } from '../wire/limits.js';
import type { AggregatorEvents, Phase } from './events.js';
import { totalExamples, weightedMetrics } from './fedavg.js';
import type { LinkState } from './link-state.js';
import type { PhaseRecord } from './metrics-history.js';
import { evaluateContent, trainContent, usableReply, type TrainSettings, type UsableReply } from './round-content.js';
import { runPhase } from './round-phase.js';
import { sampleNodes, sampleSize } from './sampling.js';

const NODE_POLL_MS = 200;
/** While waiting for nodes, say so again this often: a silent aggregator looks hung. */
const WAITING_REMINDER_MS = 10_000;

export interface PhasePlan {
  phase: Phase;
  round: number;
  weights: readonly NamedArray[];
  fraction: number;
  minNodes: number;
  timeoutMs: number;
  train: TrainSettings;
  signal?: AbortSignal;
}

export interface PhaseOutcome {
  record: PhaseRecord;
  accepted: UsableReply[];
}

export async function runFedAvgPhase(state: LinkState, events: AggregatorEvents, plan: PhasePlan): Promise<PhaseOutcome> {
  const { phase, round, weights } = plan;
  const size = sampleSize(state.registry.onlineNodeIds().length, plan.fraction, plan.minNodes);
  const online = await waitForNodes(state, events, Math.max(plan.minNodes, size), plan);
  const sampled = sampleNodes(online, size);
  events.emit({ type: 'phase-started', round, phase, sampled: sampled.map(String), online: online.length });
  const started = performance.now();
  const result = await runPhase<UsableReply>(state, {
    nodes: sampled,
    content: phase === 'train' ? trainContent(weights, round, plan.train) : evaluateContent(weights, round, plan.train),
    messageType: phase,
    round,
    timeoutMs: plan.timeoutMs,
    limits: messageLimits(weights.map((weight) => weight.shape)),
    signal: plan.signal,
    judge: (message, node) => {
      const verdict = usableReply(message, phase, weights);
      if (typeof verdict === 'string') {
        events.emit({ type: 'reply-refused', round, phase, node: String(node), reason: verdict });
        events.log('warn', `round ${round} ${phase}: reply from node ${node} refused: ${verdict}`);
      } else {
        events.emit({ type: 'node-replied', round, phase, node: String(node), numExamples: verdict.numExamples, metrics: verdict.metrics });
      }
      return verdict;
    },
    onDropped: ({ node, reason }) => {
      events.emit({ type: 'node-dropped', round, phase, node, reason });
      events.log('warn', `round ${round} ${phase}: node ${node} dropped: ${reason}`);
    },
  });
  const accepted = result.accepted.map(({ value }) => value);
  const record: PhaseRecord = {
    sampled: sampled.map(String),
    replied: result.accepted.map(({ node }) => String(node)),
    dropped: result.dropped,
    refused: result.refused,
    num_examples: totalExamples(accepted),
    metrics: weightedMetrics(accepted),
    seconds: (performance.now() - started) / 1000,
  };
  return { record, accepted };
}

/** Flower's sample_nodes waits, without a limit, until enough nodes are online; so does this, until aborted. */
export async function waitForNodes(state: LinkState, events: AggregatorEvents, needed: number, plan: PhasePlan): Promise<bigint[]> {
  let remindAt = 0;
  for (;;) {
    const online = state.registry.onlineNodeIds();
    if (online.length >= needed) return online;
    if (performance.now() >= remindAt) {
      events.emit({ type: 'waiting-for-nodes', round: plan.round, phase: plan.phase, online: online.length, needed });
      remindAt = performance.now() + WAITING_REMINDER_MS;
    }
    await sleep(NODE_POLL_MS, undefined, { signal: plan.signal });
  }
}
