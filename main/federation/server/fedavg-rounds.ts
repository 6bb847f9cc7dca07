// Runs in the aggregator (plain Node): FedAvg's rounds: train, average, evaluate, checkpoint and record, as Flower's strategy loop.
import path from 'node:path';
import type { NamedArray } from '../../engine/weights.js';
import { writeCheckpoint } from './checkpoint.js';
import type { AggregatorEvents } from './events.js';
import { federatedAverage } from './fedavg.js';
import { runFedAvgPhase, type PhasePlan } from './fedavg-phase.js';
import type { LinkState } from './link-state.js';
import { appendRoundRecord, evalAccuracy, evalLoss, type PhaseRecord, type RoundRecord, type SecAggRecord } from './metrics-history.js';
import type { TrainSettings } from './round-content.js';
import type { SecAggSection } from './secagg-config.js';
import { runSecAggPhase } from './secagg-phase.js';

export interface RoundPlan {
  rounds: number;
  /** Online before a phase starts, and usable replies for a phase to count. */
  minNodes: number;
  fraction: number;
  /** 0 skips federated evaluation. */
  fractionEvaluate: number;
  roundTimeoutMs: number;
  train: TrainSettings;
  /** Train under SecAgg+ (when enabled): the aggregator then sees only the sum of the updates. */
  secagg?: SecAggSection;
}

/** Where a run writes: `checkpoints/round-NNNN/` per round (round-0000 is the initial model) and `metrics.jsonl`. */
export interface RunFiles {
  checkpointsDir: string;
  metricsFile: string;
}

export interface FedAvgResult {
  weights: NamedArray[];
  records: RoundRecord[];
}

export async function runFedAvg(
  state: LinkState,
  events: AggregatorEvents,
  initial: NamedArray[],
  plan: RoundPlan,
  files: RunFiles,
  signal?: AbortSignal,
): Promise<FedAvgResult> {
  let weights = initial;
  const records: RoundRecord[] = [];
  await writeCheckpoint(files.checkpointsDir, 0, weights);
  for (let round = 1; round <= plan.rounds; round++) {
    const startedAt = new Date();
    const phasePlan = (phase: PhasePlan['phase'], fraction: number): PhasePlan => ({
      phase,
      round,
      weights,
      fraction,
      minNodes: plan.minNodes,
      timeoutMs: plan.roundTimeoutMs,
      train: plan.train,
      signal,
    });
    const train = await trainPhase(state, events, phasePlan('train', plan.fraction), plan);
    const failure = train.failure;
    if (train.weights) weights = train.weights;
    else events.log('error', `round ${round} failed: ${failure}; the global model is unchanged`);
    let evaluate: PhaseRecord | null = null;
    if (!failure && plan.fractionEvaluate > 0) {
      evaluate = (await runFedAvgPhase(state, events, phasePlan('evaluate', plan.fractionEvaluate))).record;
      const evalShortfall = shortfall(evaluate, plan.minNodes, 'evaluate');
      if (evalShortfall) events.log('warn', `round ${round}: ${evalShortfall}; its evaluation metrics average fewer nodes than min_nodes`);
    }
    const checkpoint = await writeCheckpoint(files.checkpointsDir, round, weights);
    const record: RoundRecord = {
      round,
      status: failure ? 'failed' : 'completed',
      ...(failure && { reason: failure }),
      started_at: startedAt.toISOString(),
      seconds: (Date.now() - startedAt.getTime()) / 1000,
      train: train.record,
      ...(train.secagg && { secagg: train.secagg }),
      evaluate,
      eval_loss: evalLoss(evaluate?.metrics),
      eval_accuracy: evalAccuracy(evaluate?.metrics),
      checkpoint: path.relative(path.dirname(files.metricsFile), checkpoint),
    };
    await appendRoundRecord(files.metricsFile, record);
    records.push(record);
    events.emit({ type: 'round-done', record });
  }
  return { weights, records };
}

interface TrainOutcome {
  record: PhaseRecord;
  secagg?: SecAggRecord;
  /** The new global model, or why the round failed. */
  weights?: NamedArray[];
  failure?: string;
}

/** FedAvg of the replies as they are, or (secagg.enabled) of their sum under SecAgg+. */
async function trainPhase(state: LinkState, events: AggregatorEvents, phasePlan: PhasePlan, plan: RoundPlan): Promise<TrainOutcome> {
  if (plan.secagg?.enabled) return runSecAggPhase(state, events, { ...phasePlan, secagg: plan.secagg });
  const train = await runFedAvgPhase(state, events, phasePlan);
  const failure = shortfall(train.record, plan.minNodes, 'train');
  if (failure) return { record: train.record, failure };
  const replies = train.accepted.map((reply) => ({ numExamples: reply.numExamples, arrays: reply.arrays! }));
  return { record: train.record, weights: federatedAverage(phasePlan.weights, replies) };
}

/** Why a phase does not count, when fewer usable replies came back than min_nodes. */
function shortfall(record: PhaseRecord, minNodes: number, phase: string): string | undefined {
  if (record.replied.length >= minNodes) return undefined;
  return `only ${record.replied.length} of ${record.sampled.length} sampled nodes replied usefully to ${phase} (at least ${minNodes} needed)`;
}
