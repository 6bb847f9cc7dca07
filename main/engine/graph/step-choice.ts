// Runs in the training thread: whether a model trains with the one-graph step (tensorflow backend) or tfjs's eager one, and why.
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { defaultCacheDir } from '../../data/cache-dir.js';
import type { Tf } from '../backend.js';
import { UnsupportedLayer } from './emitter.js';
import { GraphStep } from './graph-step.js';

/** `eager` forces tfjs's op-by-op step on the tensorflow backend (to compare, or to work around a graph step problem). */
export const TRAIN_STEP_ENV = 'TRIBUTARY_TRAIN_STEP';

export type StepChoice = { kind: 'graph'; step: GraphStep } | { kind: 'eager'; reason: string };

/** A model's graph step, kept while the model and its compiled optimizer live: building and loading it takes up to a second. */
const chosen = new WeakMap<tfjs.LayersModel, { optimizer: tfjs.Optimizer; choice: StepChoice }>();
/** A model that is collected takes its TensorFlow session with it (a model recompiled keeps its older ones until then). */
const sessions = new FinalizationRegistry<() => void>((close) => close());

/**
 * The step a model trains with on the current backend: one TensorFlow graph where the backend is tensorflow and every
 * layer, the loss, the metrics and the optimizer are covered; tfjs's eager step otherwise, with the reason. Made once
 * per compiled model (the graph is written under Tributary's cache folder and loaded into a TensorFlow session).
 */
export function chooseStep(tf: Tf, model: tfjs.LayersModel, env: NodeJS.ProcessEnv = process.env): StepChoice {
  const forced = env[TRAIN_STEP_ENV];
  if (forced !== undefined && forced !== '' && forced !== 'eager' && forced !== 'auto') {
    throw new Error(`${TRAIN_STEP_ENV} must be "eager" or "auto", got ${JSON.stringify(forced)}`);
  }
  if (tf.getBackend() !== 'tensorflow') return { kind: 'eager', reason: `the graph step runs on the tensorflow backend only` };
  if (forced === 'eager') return { kind: 'eager', reason: `${TRAIN_STEP_ENV}=eager` };
  const known = chosen.get(model);
  if (known?.optimizer === model.optimizer) return known.choice;
  const choice = makeChoice(tf, model);
  chosen.set(model, { optimizer: model.optimizer, choice });
  if (choice.kind === 'graph') sessions.register(model, choice.step.sessionCloser());
  return choice;
}

/** For the backend report line: `step: one TensorFlow graph`, or `step: eager (why)`. */
export function describeStep(choice: StepChoice): string {
  return choice.kind === 'graph' ? 'step: one TensorFlow graph' : `step: eager (${choice.reason})`;
}

function makeChoice(tf: Tf, model: tfjs.LayersModel): StepChoice {
  try {
    return { kind: 'graph', step: GraphStep.create(tf, model, path.join(defaultCacheDir(), 'train-graphs'), seedFromMathRandom()) };
  } catch (error) {
    if (error instanceof UnsupportedLayer) return { kind: 'eager', reason: `${error.message} is not supported by the graph step` };
    // TensorFlow refused the graph (an op its build lacks, a file it could not write): training still runs, eagerly.
    return { kind: 'eager', reason: `the graph step failed to load: ${(error as Error).message}` };
  }
}

/** Dropout's seed: from Math.random, which the training session seeds from the config's `seed`, so a run repeats. */
function seedFromMathRandom(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
