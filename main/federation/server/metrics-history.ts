// Runs in the aggregator (plain Node): the metrics history, one JSON line per round, appended as each round ends.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Metrics } from './fedavg.js';

/** A node that was asked but did not count, and why (timed out, went offline, error reply, bad arrays...). */
export interface NodeProblem {
  node: string;
  reason: string;
}

export interface PhaseRecord {
  sampled: string[];
  replied: string[];
  /** Stragglers and nodes that went offline before their reply was complete. */
  dropped: NodeProblem[];
  /** Replies that arrived but could not be used: error replies, no num-examples, arrays that do not fit, NaN. */
  refused: NodeProblem[];
  num_examples: number;
  /** Weighted by num-examples over the replies used. */
  metrics: Metrics;
  seconds: number;
}

/** One SecAgg+ stage of a round: how many nodes were asked, how many answered usefully, how long it took. */
export interface SecAggStageRecord {
  stage: 'setup' | 'share_keys' | 'collect_masked_vectors' | 'unmask';
  asked: number;
  replied: number;
  seconds: number;
}

/** How a SecAgg+ round went: the train record's `replied` are the nodes whose masked updates were summed. */
export interface SecAggRecord {
  share_num: number;
  threshold: number;
  /** Nodes that shared their keys and then dropped: their masks were rebuilt from the others' shares. */
  recovered: string[];
  /** The stages that ran, in order (fewer than four when the round stopped). */
  stages: SecAggStageRecord[];
}

export interface RoundRecord {
  round: number;
  /** failed: fewer nodes than min_nodes replied to train; the global model did not change. */
  status: 'completed' | 'failed';
  reason?: string;
  started_at: string;
  seconds: number;
  train: PhaseRecord;
  /** Present when the round trained under SecAgg+ (the aggregator saw only the sum of the updates). */
  secagg?: SecAggRecord;
  /** Absent when the round failed or federated evaluation is off. */
  evaluate: PhaseRecord | null;
  eval_loss: number | null;
  eval_accuracy: number | null;
  /** The checkpoint folder of the global model after this round, relative to the output folder. */
  checkpoint: string | null;
}

/** The spellings parties use for evaluation loss and accuracy, most specific first. */
const LOSS_KEYS = ['eval_loss', 'eval-loss', 'loss'];
const ACCURACY_KEYS = ['eval_acc', 'eval_accuracy', 'eval-acc', 'eval-accuracy', 'accuracy', 'acc'];

export function evalLoss(metrics: Metrics | undefined): number | null {
  return firstScalar(metrics, LOSS_KEYS);
}

export function evalAccuracy(metrics: Metrics | undefined): number | null {
  return firstScalar(metrics, ACCURACY_KEYS);
}

function firstScalar(metrics: Metrics | undefined, keys: readonly string[]): number | null {
  for (const key of keys) {
    const value = metrics?.[key];
    if (typeof value === 'number') return value;
  }
  return null;
}

/** One line per call: a crash loses at most the round being written, never the lines before it. */
export async function appendRoundRecord(file: string, record: RoundRecord): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(record)}\n`, 'utf8');
}

export async function readRoundRecords(file: string): Promise<RoundRecord[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line) as RoundRecord;
      } catch (error) {
        throw new Error(`${file}:${index + 1}: not a JSON line: ${(error as Error).message}`, { cause: error });
      }
    });
}
