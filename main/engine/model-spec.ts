// Runs where training runs (plain Node): the `model:` config section, and the compiled tfjs model it describes, checked against the data.
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { z } from 'zod';
import { BUILTIN_MODELS, buildBuiltin } from './builtin-models.js';
import { ModelError, modelFile } from './model-file.js';

type Tf = typeof tfjs;

/** tfjs-layers' loss names (its `lossesMap`); Keras's snake_case spellings are not accepted by tfjs. */
export const LOSSES = [
  'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError', 'meanAbsoluteError',
  'meanAbsolutePercentageError', 'meanSquaredLogarithmicError', 'squaredHinge', 'hinge', 'categoricalHinge', 'logcosh',
  'kullbackLeiblerDivergence', 'poisson', 'cosineProximity',
] as const;
/** tfjs-layers' metric names: `accuracy` picks binary, categorical or sparse accuracy from the loss, as Keras does. */
export const METRICS = [
  'accuracy', 'binaryAccuracy', 'categoricalAccuracy', 'precision', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy',
  'mse', 'mae', 'mape', 'cosine',
] as const;

export const ModelSectionSchema = z
  .strictObject({
    builtin: z.enum(BUILTIN_MODELS).optional().describe('an architecture built in code'),
    path: z.string().min(1).optional().describe('a Keras/tfjs Layers model.json, relative to the config file'),
    optimizer: z.enum(['adam', 'sgd', 'rmsprop']).default('adam'),
    learning_rate: z.number().positive().default(0.001),
    loss: z.enum(LOSSES).default('categoricalCrossentropy'),
    metrics: z.array(z.enum(METRICS)).default(['accuracy']),
    seed: z.number().int().default(0).describe('seeds weight initialisation and dropout, so a run can be repeated exactly'),
  })
  .superRefine((section, context) => {
    if (section.builtin !== undefined && section.path !== undefined) {
      context.addIssue({ code: 'custom', path: ['path'], message: 'set either `builtin` or `path`, not both' });
    } else if (section.builtin === undefined && section.path === undefined) {
      context.addIssue({ code: 'custom', path: [], message: `set \`builtin\` (${BUILTIN_MODELS.join(' or ')}) or \`path\` (a model.json)` });
    }
  });
export type ModelSpec = z.infer<typeof ModelSectionSchema>;

export interface BuildModelOptions {
  /** One sample's shape, without the batch dimension: [28, 28, 1] for MNIST. */
  inputShape: readonly number[];
  numClasses: number;
  /** The config file's folder: `path` resolves against it. */
  baseDir: string;
}

/**
 * A compiled model: a built-in, or a model.json loaded from disk (with its weights, if it lists any). The config's
 * optimizer, loss and metrics win over any training config stored in the model.json.
 */
export async function buildModel(tf: Tf, spec: ModelSpec, options: BuildModelOptions): Promise<tfjs.LayersModel> {
  const { inputShape, numClasses, baseDir } = options;
  if (spec.builtin === undefined && spec.path === undefined) throw new ModelError('model', 'set `builtin` or `path`');
  const model = spec.builtin !== undefined
    ? buildBuiltin(tf, spec.builtin, inputShape, numClasses)
    : await loadModel(tf, path.resolve(baseDir, spec.path!), inputShape, numClasses);
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

function optimizer(tf: Tf, spec: ModelSpec): tfjs.Optimizer {
  const rate = spec.learning_rate;
  return spec.optimizer === 'sgd' ? tf.train.sgd(rate) : spec.optimizer === 'rmsprop' ? tf.train.rmsprop(rate) : tf.train.adam(rate);
}
