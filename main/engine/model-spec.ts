// Runs where training runs (plain Node): the compiled tfjs model a `model:` section describes, checked against the data, and its learning rate.
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import type { ModelSection } from '../../common/model-config.js';
import { buildBuiltin } from './builtin-models.js';
import { ModelError, modelFile } from './model-file.js';
import { freezeLayers, frozenBatchNormInInference } from './models/freeze.js';

type Tf = typeof tfjs;
/** Moved to the contract (common/model-config.ts); re-exported while main/federation/ still imports it from here. */
export { ModelSectionSchema } from '../../common/model-config.js';

export interface BuildModelOptions {
  /** One sample's shape, without the batch dimension: [28, 28, 1] for MNIST. */
  inputShape: readonly number[];
  numClasses: number;
  /** The config file's folder: `path` resolves against it. */
  baseDir: string;
}

/**
 * A compiled model: a built-in, or a model.json loaded from disk (with its weights, if it lists any). The config's
 * optimizer, loss and metrics win over any training config stored in the model.json; its `freeze` patterns are applied
 * before compiling, and every frozen BatchNormalization runs in inference mode, as in Keras.
 */
export async function buildModel(tf: Tf, spec: ModelSection, options: BuildModelOptions): Promise<tfjs.LayersModel> {
  const { inputShape, numClasses, baseDir } = options;
  if (spec.builtin === undefined && spec.path === undefined) throw new ModelError('model', 'set `builtin` or `path`');
  const model =
    spec.builtin !== undefined
      ? buildBuiltin(tf, spec.builtin, inputShape, numClasses, spec)
      : await loadModel(tf, path.resolve(baseDir, spec.path!), inputShape, numClasses);
  try {
    if (spec.freeze) freezeLayers(model, spec.freeze);
  } catch (error) {
    model.dispose();
    throw error;
  }
  frozenBatchNormInInference(model);
  model.compile({ optimizer: optimizer(tf, spec), loss: spec.loss, metrics: [...spec.metrics] });
  return model;
}

async function loadModel(tf: Tf, file: string, inputShape: readonly number[], numClasses: number): Promise<tfjs.LayersModel> {
  let model: tfjs.LayersModel;
  try {
    model = await tf.loadLayersModel(modelFile(file));
  } catch (error) {
    if (error instanceof ModelError) throw error;
    throw new ModelError(file, `tfjs could not build a Layers model from it: ${(error as Error).message}`, { cause: error });
  }
  const problem = misfit(model, inputShape, numClasses);
  if (problem !== undefined) {
    model.dispose();
    throw new ModelError(file, problem);
  }
  return model;
}

/** Why the model cannot train on this data, if it cannot: one input of the data's sample shape, one output of its classes. */
function misfit(model: tfjs.LayersModel, inputShape: readonly number[], numClasses: number): string | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    return `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; Tributary trains models with one of each`;
  }
  const expects = model.inputs[0]!.shape.slice(1);
  const fits = expects.length === inputShape.length && expects.every((d, i) => d === null || d === inputShape[i]);
  if (!fits) return `the model expects input ${dims(expects)}, but the data is ${dims(inputShape)}`;
  const output = model.outputs[0]!.shape;
  if (output.length !== 2 || output[1] !== numClasses) {
    return `the model's output is ${dims(output.slice(1))}, but the data has ${numClasses} classes`;
  }
  return undefined;
}

function dims(shape: readonly (number | null)[]): string {
  return shape.map((d) => d ?? '?').join('x');
}

function optimizer(tf: Tf, spec: ModelSection): tfjs.Optimizer {
  const rate = spec.learning_rate;
  return spec.optimizer === 'sgd' ? tf.train.sgd(rate) : spec.optimizer === 'rmsprop' ? tf.train.rmsprop(rate) : tf.train.adam(rate);
}

/** The compiled optimizer's learning rate. */
export function learningRateOf(model: tfjs.LayersModel): number {
  return model.optimizer.getConfig().learningRate as number;
}

/**
 * Changes the compiled optimizer's learning rate for the steps that follow, keeping its state (Adam's moments,
 * RMSProp's averages): a federation round sets it. SGD caches the rate as a tensor and has a setter for it; Adam and
 * RMSProp read their `learningRate` field at every step, and tfjs offers no setter for it. Optimizers are told apart by
 * class name: tfjs makes every optimizer an `instanceof` every optimizer class.
 */
export function setLearningRate(model: tfjs.LayersModel, rate: number): void {
  if (!Number.isFinite(rate) || rate < 0) throw new RangeError(`a learning rate is a number >= 0, got ${rate}`);
  const optimizer = model.optimizer;
  const name = optimizer.getClassName();
  if (name === 'SGD') (optimizer as tfjs.SGDOptimizer).setLearningRate(rate);
  else if (name === 'Adam' || name === 'RMSProp') (optimizer as unknown as { learningRate: number }).learningRate = rate;
  else throw new Error(`the model's optimizer is ${name}; only Adam, SGD and RMSProp take a new learning rate`);
}
