// Runs in the party (plain Node): a run's task as the operator reviews it (model size, rounds, epochs, lr, batch size, what goes back), and its bounds.
import type { ReviewBounds } from '../../../common/review-config.js';
import type { TrainingSettings } from '../../engine/train/protocol.js';
import { checkServerSettings } from '../privacy/policy.js';
import { requestedSettings, RoundConfigRefused, type ConfigValues } from './round-config.js';
import type { WorkTask } from './task.js';

/** What a run asks of this site, read from its first train (or evaluate) message. */
export interface TaskSummary {
  runId: string;
  messageType: WorkTask['kind'];
  round: number | null;
  /** How many rounds the run has, when the server's config says (Flower's `num-server-rounds`); null: not said. */
  rounds: number | null;
  /** The site's model the weights are trained into (null: not named), and the size of the weights the server sent. */
  model: { name: string | null; arrays: number; parameters: number };
  /** Local epochs per round (null for evaluate: nothing is trained). */
  localEpochs: number | null;
  learningRate: number | null;
  batchSize: number | null;
  /** Which of those three the server's config sets; the others are this site's own. */
  setByServer: string[];
  /** What goes back to the server when the message is served. */
  sends: string[];
}

export interface SummaryFacts {
  modelName: string | null;
  /** The model's own learning rate and batch size, for a round that sets neither. */
  defaults: TrainingSettings;
  /** federation.local_epochs: epochs per round when the config names none. */
  localEpochs: number;
}

/** The spellings of a run's length: Flower's app config key, and the older snake case. */
const ROUNDS_KEYS = ['num-server-rounds', 'num_server_rounds', 'num-rounds', 'num_rounds'];

export function summariseTask(
  task: WorkTask,
  where: { runId: string; round: number | null; secure: boolean },
  facts: SummaryFacts,
): TaskSummary {
  const asked = requestedSettings(task.config);
  const training = task.kind === 'train';
  const parameters = task.arrays.reduce((sum, { array }) => sum + array.data.length, 0);
  const setByServer = [
    asked.epochs && training && 'local epochs',
    asked.learningRate && training && 'learning rate',
    asked.batchSize && 'batch size',
  ];
  return {
    runId: where.runId,
    messageType: task.kind,
    round: where.round,
    rounds: roundsOf(task.config),
    model: { name: facts.modelName, arrays: task.arrays.length, parameters },
    localEpochs: training ? (asked.epochs?.value ?? facts.localEpochs) : null,
    learningRate: training ? (asked.learningRate?.value ?? facts.defaults.learningRate) : null,
    batchSize: asked.batchSize?.value ?? facts.defaults.batchSize,
    setByServer: setByServer.filter((name): name is string => typeof name === 'string'),
    sends: training ? trainSends(task.arrays.length, parameters, where.secure) : ['eval_loss', 'eval_acc', 'num-examples'],
  };
}

function trainSends(arrays: number, parameters: number, secure: boolean): string[] {
  const masked = secure ? ', masked by secure aggregation' : '';
  return [`the trained weights (${arrays} arrays, ${parameters} parameters${masked})`, 'train_loss', 'train_acc', 'num-examples'];
}

/** Null when the task is within `bounds` (so it may be approved without asking); else the first reason it is not. */
export function outsideBounds(bounds: ReviewBounds, summary: TaskSummary, config: ConfigValues): string | null {
  const settings = checkServerSettings(bounds, config, "this site's review bounds");
  if (settings) return settings;
  const { max_parameters: maxParameters, max_rounds: maxRounds } = bounds;
  if (maxParameters !== undefined && summary.model.parameters > maxParameters)
    return `the model has ${summary.model.parameters} parameters, more than this site's review bounds allow (${maxParameters})`;
  if (maxRounds !== undefined && summary.rounds !== null && summary.rounds > maxRounds)
    return `the run has ${summary.rounds} rounds, more than this site's review bounds allow (${maxRounds})`;
  return pastRounds(bounds, summary.round);
}

/** A run approved within bounds whose server did not say how long it is: a round past max_rounds is not within them. */
export function pastRounds(bounds: ReviewBounds, round: number | null): string | null {
  if (bounds.max_rounds === undefined || round === null || round <= bounds.max_rounds) return null;
  return `round ${round} is past the ${bounds.max_rounds} rounds this site's review bounds allow`;
}

function roundsOf(config: ConfigValues): number | null {
  const lookup = (key: string) => (config instanceof Map ? config.get(key) : (config as Record<string, unknown>)[key]);
  const key = ROUNDS_KEYS.find((candidate) => lookup(candidate) !== undefined);
  if (key === undefined) return null;
  const raw = lookup(key);
  const value = typeof raw === 'bigint' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new RoundConfigRefused(`config "${key}": expected a whole number of rounds, got ${String(raw).slice(0, 40)}`);
  return value;
}
