// Runs in the aggregator (plain Node): the global model's architecture and seeded initial weights, built once with tfjs's cpu backend.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LayersModel } from '@tensorflow/tfjs';
import { ModelSectionSchema } from '../../../common/model-config.js';
import { useQuietCpuBackend } from '../../engine/backend.js';
import { buildModel } from '../../engine/model-spec.js';
import { modelFile } from '../../engine/model-file.js';
import { withSeededMathRandom } from '../../engine/train/seeded-random.js';
import { checkWeights, getWeights, setWeights, type NamedArray } from '../../engine/weights.js';
import type { AggregatorConfig } from './config.js';

export interface GlobalModel {
  model: LayersModel;
  /** Keras get_weights() order, layer-scoped names (`conv2d/kernel`). */
  weights: NamedArray[];
}

/**
 * A built-in or a model.json; a model.json that lists weights starts from them, anything else from initialisers
 * seeded by `model.seed`, so two runs of the same config send the same first model.
 */
export async function buildGlobalModel(section: AggregatorConfig['model'], baseDir: string): Promise<GlobalModel> {
  // The aggregator computes nothing with tfjs: the cpu backend is enough and gives the same initial weights everywhere.
  await useQuietCpuBackend();
  const { builtin, path: file, seed, depth, width, alpha } = section;
  const spec = ModelSectionSchema.parse({ builtin, path: file, seed, depth, width, alpha });
  const model = await withSeededMathRandom(section.seed, () =>
    buildModel(tf, spec, { inputShape: section.input_shape, numClasses: section.classes, baseDir }),
  );
  return { model, weights: getWeights(model) };
}

/** The global model as a tfjs Layers model (model.json + weights.bin) that tf.loadLayersModel and a party can load. */
export async function saveTfjsModel(global: GlobalModel, weights: readonly NamedArray[], folder: string): Promise<string> {
  setWeights(global.model, checkWeights(weights, global.weights));
  const file = path.join(folder, 'model.json');
  await global.model.save(modelFile(file));
  return file;
}
