// Tests (Node, real tfjs on the tensorflow and wasm backends, real NIfTI files nibabel writes at test time, real decode threads):
// a volume as one 3-D sample trains end to end: Nifti slices: volume, the cnn3d built-in, 5-D batches through the training session.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelSectionSchema } from '../../../../common/model-config.js';
import { ModelError } from '../../../../main/engine/model-file.js';
import { buildModel } from '../../../../main/engine/model-spec.js';
import { TrainingSession } from '../../../../main/engine/train/training-session.js';
import { forEachBackend } from '../backends.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-volume-training-'));
execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../../fixtures/nifti-volumes.py'), dir], {
  stdio: 'pipe',
  timeout: 300_000,
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
process.env.TRIBUTARY_CACHE_DIR = path.join(dir, 'cache'); // the site's salt and any graph files: this test's own

/** A party config of the fixture's volumes, whole, with the cnn3d built-in, on `backend`. */
function partyConfig(backend: string): string {
  const file = path.join(dir, `party-${backend}.yaml`);
  const data = ['data:', '  name: Nifti', '  info:', '    path: all.csv', '    subject_column: patient', '    slices: volume'];
  const options = ['    test_fraction: 0.25', '    window: zscore', '    batch_size: 4', '    workers: 1', '    seed: 2'];
  const rest = ['model: { builtin: cnn3d, learning_rate: 0.01, seed: 1 }', `training: { backend: ${backend} }`, ''];
  writeFileSync(file, [...data, ...options, ...rest].join('\n'));
  return file;
}

const flat = (arrays: { data: Float32Array }[]) => Float32Array.from(arrays.flatMap((a) => [...a.data]));

forEachBackend((backend) => {
  it('trains cnn3d on [n, depth, height, width, 1] batches: the loss falls and the weights move; evaluation takes the same batches', async () => {
    const session = new TrainingSession();
    try {
      const opened = await session.open({ type: 'open', id: 1, configFile: partyConfig(backend) });
      expect(opened.backend.name).toBe(backend);
      expect(opened.sampleShape).toEqual({ depth: 5, height: 8, width: 6, channels: 1 });
      expect(opened.model).toMatchObject({ name: 'cnn3d', weights: 6 });
      const before = flat(session.getWeights());
      const result = await session.train(6, {});
      expect(result.epochs).toHaveLength(6);
      const losses = result.epochs.map((e) => e.loss);
      for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
      expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.9);
      const after = flat(session.getWeights());
      expect(after.length).toBe(before.length);
      expect(after.some((v, i) => v !== before[i])).toBe(true);
      const held = await session.evaluate(new AbortController().signal);
      expect(held.samples).toBe(opened.samples.test);
      expect(Number.isFinite(held.loss)).toBe(true);
    } finally {
      await session.close();
    }
  }, 180_000);
});

describe('the cnn3d built-in', () => {
  const spec = ModelSectionSchema.parse({ builtin: 'cnn3d' });
  const build = (inputShape: number[]) => buildModel(tf, spec, { inputShape, numClasses: 2, baseDir: dir });

  it('is conv3d, max_pooling3d twice, flatten and dense, Keras-named', async () => {
    const model = await build([5, 8, 6, 1]);
    expect(model.countParams()).toBe(3762);
    expect(model.layers.map((l) => l.name)).toEqual(['conv3d', 'max_pooling3d', 'conv3d_1', 'max_pooling3d_1', 'flatten', 'dense']);
    expect(model.weights.map((w) => `${w.originalName} [${w.shape.join(',')}]`)).toEqual([
      'conv3d/kernel [3,3,3,1,8]',
      'conv3d/bias [8]',
      'conv3d_1/kernel [3,3,3,8,16]',
      'conv3d_1/bias [16]',
      'dense/kernel [32,2]',
      'dense/bias [2]',
    ]);
    model.dispose();
  });

  it('refuses images and volumes too small for its two pools, naming model.builtin', async () => {
    await expect(build([28, 28, 1])).rejects.toThrow(
      new ModelError(
        'model.builtin',
        'cnn3d needs volumes (depth x height x width x channels, as a Nifti handler gives with slices: volume and a Dicom one ' +
          "with slice: volume), but the data's shape is [28, 28, 1]",
      ),
    );
    await expect(build([3, 8, 8, 1])).rejects.toThrow(/cnn3d needs volumes of at least 4x4x4, but the data is 3x8x8/);
  });
});
