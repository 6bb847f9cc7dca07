// Runs where training runs (plain Node): freezing a model's layers by name for fine-tuning, with Keras's rule for frozen BatchNormalization.
import type * as tfjs from '@tensorflow/tfjs';
import { ModelError } from '../model-file.js';

type Layer = tfjs.layers.Layer;

/**
 * Makes the layers whose names match a pattern untrainable, before the model is compiled (compile collects the weights
 * the optimizer updates). A pattern is a layer name where `*` stands for any run of characters and `?` for one: two
 * wildcards, too few to take a dependency on a glob library for. A pattern that matches nothing is an error (a typo
 * would otherwise silently train everything), and so is freezing every weight (nothing would be left to train).
 */
export function freezeLayers(model: tfjs.LayersModel, patterns: readonly string[]): void {
  const layers = model.layers;
  const frozen = new Set<Layer>();
  for (const pattern of patterns) {
    const matcher = globRegExp(pattern);
    const matched = layers.filter((layer) => matcher.test(layer.name));
    if (matched.length === 0)
      throw new ModelError('model.freeze', `${JSON.stringify(pattern)} matches no layer of ${model.name} (${someNames(layers)})`);
    matched.forEach((layer) => frozen.add(layer));
  }
  const weighted = layers.filter((layer) => layer.trainableWeights.length > 0);
  if (weighted.length > 0 && weighted.every((layer) => frozen.has(layer))) {
    throw new ModelError('model.freeze', `[${patterns.join(', ')}] freezes every layer that has weights: nothing would be left to train`);
  }
  for (const layer of frozen) layer.trainable = false;
}

/** `*` any run of characters, `?` any one, everything else itself; the whole name must match. */
function globRegExp(pattern: string): RegExp {
  const body = [...pattern].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

function someNames(layers: readonly Layer[]): string {
  const shown = layers.slice(0, 8).map((layer) => layer.name);
  return `its layers: ${shown.join(', ')}${layers.length > shown.length ? `, … (${layers.length} in all)` : ''}`;
}

/**
 * Keras's rule since 2.1.3: a BatchNormalization layer that is not trainable runs in inference mode, even in a training
 * step: it normalises with its moving mean and variance and leaves them as they are, so a frozen layer's weights do not
 * change. tfjs-layers would still normalise with the batch's statistics and update the moving ones, so each such
 * layer's call is told `training: false` while the layer is frozen (checked at every call: trainable may change later).
 */
export function frozenBatchNormInInference(model: tfjs.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const call = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => call(inputs, layer.trainable ? kwargs : { ...kwargs, training: false });
  }
}
