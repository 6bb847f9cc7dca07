// Runs in the party (plain Node): the content of each reply, under the keys the asking strategy reads (Message API FedAvg, or Flower's compat layer).
import type { NamedArray } from '../../engine/weights.js';
import type { AnyNdArray } from '../wire/npy/dtypes.js';
import { arrayRecord, configRecord, metricRecord, recordDict, type MetricValue, type RecordDict } from '../wire/records/model.js';
import type { TaskStyle } from './task.js';

export interface TrainOutcome {
  /** The trained weights, in model order. */
  weights: NamedArray[];
  /** Training samples: what FedAvg weighs this site by. */
  numExamples: number;
  loss: number;
  accuracy: number | null;
}

export interface EvaluateOutcome {
  loss: number;
  accuracy: number;
  numExamples: number;
}

/** Flower's Code.OK with the words its NumPyClient sends. */
const STATUS_OK = configRecord({ code: 0n, message: 'Success' });

/** The metrics sent back, as plain numbers, for the round summary. */
export function trainMetrics(outcome: TrainOutcome): Record<string, number> {
  return {
    train_loss: outcome.loss,
    ...(outcome.accuracy !== null && { train_acc: outcome.accuracy }),
    'num-examples': outcome.numExamples,
  };
}

export function evaluateMetrics(outcome: EvaluateOutcome): Record<string, number> {
  return { eval_loss: outcome.loss, eval_acc: outcome.accuracy, 'num-examples': outcome.numExamples };
}

/** `names` are the names the server used, so every site's reply has the same keys and FedAvg can average them. */
export function trainReply(style: TaskStyle, names: readonly string[], outcome: TrainOutcome): RecordDict {
  const arrays = namedAs(names, outcome.weights);
  if (style === 'message') {
    return recordDict([
      ['arrays', arrays],
      ['metrics', metricRecord(asMetrics(trainMetrics(outcome)))],
    ]);
  }
  const { 'num-examples': _count, ...metrics } = trainMetrics(outcome);
  return recordDict([
    ['fitres.metrics', configRecord(metrics)],
    ['fitres.num_examples', metricRecord({ num_examples: BigInt(outcome.numExamples) })],
    ['fitres.parameters', arrays],
    ['fitres.status', STATUS_OK],
  ]);
}

export function evaluateReply(style: TaskStyle, outcome: EvaluateOutcome): RecordDict {
  if (style === 'message') return recordDict([['metrics', metricRecord(asMetrics(evaluateMetrics(outcome)))]]);
  return recordDict([
    ['evaluateres.loss', metricRecord({ loss: outcome.loss })],
    ['evaluateres.num_examples', metricRecord({ num_examples: BigInt(outcome.numExamples) })],
    ['evaluateres.metrics', configRecord({ eval_acc: outcome.accuracy })],
    ['evaluateres.status', STATUS_OK],
  ]);
}

/** Legacy strategies ask one site for initial parameters when the server has none. */
export function parametersReply(weights: NamedArray[]): RecordDict {
  return recordDict([
    [
      'getparametersres.parameters',
      namedAs(
        weights.map((_, index) => String(index)),
        weights,
      ),
    ],
    ['getparametersres.status', STATUS_OK],
  ]);
}

/** This site advertises no properties. */
export function propertiesReply(): RecordDict {
  return recordDict([
    ['getpropertiesres.properties', configRecord({})],
    ['getpropertiesres.status', STATUS_OK],
  ]);
}

function namedAs(names: readonly string[], weights: readonly NamedArray[]) {
  if (names.length !== weights.length) throw new Error(`the model gave ${weights.length} weight arrays for ${names.length} names`);
  return arrayRecord(
    weights.map((weight, index): [string, AnyNdArray] => [names[index]!, { dtype: 'float32', shape: weight.shape, data: weight.data }]),
  );
}

/** "num-examples" is an integer on the wire (sint64), as a Python int would be; the rest are doubles. */
function asMetrics(values: Record<string, number>): Record<string, MetricValue> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, key === 'num-examples' ? BigInt(value) : value]));
}
