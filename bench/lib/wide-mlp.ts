// Runs in bench scripts (Node): the federation bench's large model: a wide dense net of about 5M parameters, written as a tfjs Layers model.json.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useQuietCpuBackend } from '../../main/engine/backend.js';

/** 784 -> 2500 -> 1200 -> 10: 4,975,710 parameters, 19.9 MB of float32, in arrays of up to 12 MB (more than two 5 MiB chunks). */
const HIDDEN = [2500, 1200];

/** A topology-only model.json (every party and the aggregator start from the aggregator's seeded weights); returns its parameter count. */
export async function writeWideMlp(file: string, inputShape: readonly number[], classes: number): Promise<number> {
  await useQuietCpuBackend();
  const model = tf.sequential({
    name: 'wide_mlp',
    layers: [
      tf.layers.flatten({ name: 'flatten', inputShape: [...inputShape] }),
      ...HIDDEN.map((units, i) => tf.layers.dense({ name: `dense_${i}`, units, activation: 'relu' })),
      tf.layers.dense({ name: 'output', units: classes, activation: 'softmax' }),
    ],
  });
  const parameters = model.countParams();
  const modelTopology = model.toJSON(null, false);
  model.dispose();
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ format: 'layers-model', generatedBy: 'bench/lib/wide-mlp.ts', modelTopology }));
  return parameters;
}
