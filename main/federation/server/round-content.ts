// Runs in the aggregator (plain Node): what FedAvg puts in "train" and "evaluate" messages, and what it accepts back.
import type { CheckedWeights, NamedArray } from '../../engine/weights.js';
import type { AnyNdArray } from '../wire/npy/dtypes.js';
import { arrayRecord, configRecord, type AnyRecord, type Message, type MetricValue, type RecordDict } from '../wire/records/model.js';
import { fitReplyArrays, type Metrics } from './fedavg.js';

/** Flower's FedAvg defaults: the keys of the records it sends, and the metric every reply is weighted by. */
const ARRAYS_KEY = 'arrays';
const CONFIG_KEY = 'config';
const WEIGHT_KEY = 'num-examples';

export interface TrainSettings {
  localEpochs: number;
  lr: number;
  batchSize: number;
}

/** A reply FedAvg can use: its weight, its metrics, and for train the node's new arrays in the global model's order of names. */
export interface UsableReply {
  numExamples: number;
  metrics: Metrics;
  /** Checked once here, in the global model's order: averaging takes them as they are. */
  arrays?: CheckedWeights;
}

/** RecordDict {"arrays": the global weights by name, "config": {"server-round", "local-epochs", "lr", "batch-size"}}. */
export function trainContent(weights: readonly NamedArray[], round: number, settings: TrainSettings): RecordDict {
  return new Map<string, AnyRecord>([
    [ARRAYS_KEY, weightsRecord(weights)],
    [
      CONFIG_KEY,
      configRecord({
        'server-round': BigInt(round),
        'local-epochs': BigInt(settings.localEpochs),
        lr: settings.lr,
        'batch-size': BigInt(settings.batchSize),
      }),
    ],
  ]);
}

/** The same arrays; the config has the round and the batch size (evaluation has no epochs or learning rate). */
export function evaluateContent(weights: readonly NamedArray[], round: number, settings: TrainSettings): RecordDict {
  return new Map<string, AnyRecord>([
    [ARRAYS_KEY, weightsRecord(weights)],
    [CONFIG_KEY, configRecord({ 'server-round': BigInt(round), 'batch-size': BigInt(settings.batchSize) })],
  ]);
}

function weightsRecord(weights: readonly NamedArray[]) {
  return arrayRecord(weights.map((w): [string, AnyNdArray] => [w.name, { dtype: 'float32', shape: [...w.shape], data: w.data }]));
}

/**
 * The reply's weight, metrics and (train) arrays, or why it cannot be used. Mirrors Flower's reply checks (one
 * MetricRecord with a scalar "num-examples"; for train, one ArrayRecord) and adds what averaging needs: arrays that
 * fit the global model, finite values, a positive example count.
 */
export function usableReply(message: Message, phase: 'train' | 'evaluate', global: readonly NamedArray[]): UsableReply | string {
  if (message.error) return `error reply (code ${message.error.code}): ${message.error.reason}`;
  const records = [...(message.content ?? new Map()).values()];
  const metricRecords = records.filter((record) => record.kind === 'metrics');
  if (metricRecords.length !== 1) return `expected exactly one MetricRecord, got ${metricRecords.length}`;
  const metrics = plainMetrics(metricRecords[0]!.items);
  const numExamples = metrics[WEIGHT_KEY];
  if (numExamples === undefined) return `its MetricRecord has no "${WEIGHT_KEY}"`;
  if (typeof numExamples !== 'number' || !Number.isFinite(numExamples) || numExamples <= 0)
    return `"${WEIGHT_KEY}" must be a positive number, got ${JSON.stringify(numExamples)}`;
  if (phase === 'evaluate') return { numExamples, metrics };
  const arrayRecords = records.filter((record) => record.kind === 'arrays');
  if (arrayRecords.length !== 1) return `expected exactly one ArrayRecord, got ${arrayRecords.length}`;
  const arrays = namedArrays(arrayRecords[0]!.items);
  if (typeof arrays === 'string') return arrays;
  const fitted = fitReplyArrays(global, arrays);
  return typeof fitted === 'string' ? `arrays do not fit the global model: ${fitted}` : { numExamples, metrics, arrays: fitted };
}

function namedArrays(items: ReadonlyMap<string, AnyNdArray>): NamedArray[] | string {
  const arrays: NamedArray[] = [];
  for (const [name, array] of items) {
    if (array.dtype !== 'float32' && array.dtype !== 'float64') return `array "${name}" is ${array.dtype}; weights are float32`;
    // float64 is accepted (numpy's default) and rounded once, like the average itself.
    const data = array.dtype === 'float32' ? array.data : Float32Array.from(array.data);
    arrays.push({ name, shape: array.shape, dtype: 'float32', data });
  }
  return arrays;
}

/** Metric values as plain numbers (sint64 counts arrive as bigint). */
function plainMetrics(items: ReadonlyMap<string, MetricValue>): Metrics {
  return Object.fromEntries([...items].map(([key, value]) => [key, Array.isArray(value) ? value.map(Number) : Number(value)]));
}
