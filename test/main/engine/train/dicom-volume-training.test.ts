// Tests (Node, real tfjs on tensorflow, real DICOM series pydicom writes at test time, real decode threads): a DICOM series as
// one 3-D sample trains end to end: Dicom sample: series with slice: volume, the cnn3d built-in, 5-D batches through the session.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { TrainingSession } from '../../../../main/engine/train/training-session.js';
import { forEachBackend } from '../backends.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-dicom-volume-training-'));
execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../../fixtures/dicom-volumes.py'), dir], {
  stdio: 'pipe',
  timeout: 300_000,
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
process.env.TRIBUTARY_CACHE_DIR = path.join(dir, 'cache'); // the site's salt, header index and any graph files: this test's own

/** A party config of the fixture's training series (8 patients, one 4-slice CT series each), whole, with cnn3d. */
function partyConfig(backend: string): string {
  const file = path.join(dir, `party-${backend}.yaml`);
  const data = ['data:', '  name: Dicom', '  info:', '    path: tree/train', '    labels: labels-train.csv', '    label_key: PatientID'];
  const sampling = ['    sample: series', '    slice: volume', '    test_fraction: 0.25', '    window: [300, 1000]'];
  const options = ['    batch_size: 3', '    workers: 1', '    seed: 2'];
  const rest = ['model: { builtin: cnn3d, learning_rate: 0.01, seed: 1 }', `training: { backend: ${backend} }`, ''];
  writeFileSync(file, [...data, ...sampling, ...options, ...rest].join('\n'));
  return file;
}

const flat = (arrays: { data: Float32Array }[]) => Float32Array.from(arrays.flatMap((a) => [...a.data]));

forEachBackend(
  (backend) => {
    it('trains cnn3d on [n, 4, 8, 8, 1] series volumes: the loss falls and the weights move; evaluation reads the held-out patients', async () => {
      const session = new TrainingSession();
      try {
        const opened = await session.open({ type: 'open', id: 1, configFile: partyConfig(backend) });
        expect(opened.backend.name).toBe(backend);
        expect(opened.sampleShape).toEqual({ depth: 4, height: 8, width: 8, channels: 1 });
        expect(opened.samples).toEqual({ train: 6, test: 2 });
        expect(opened.model).toMatchObject({ name: 'cnn3d', weights: 6 });
        const before = flat(session.getWeights());
        const result = await session.train(6, {});
        const losses = result.epochs.map((e) => e.loss);
        expect(losses).toHaveLength(6);
        for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
        expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.9);
        const after = flat(session.getWeights());
        expect(after.some((v, i) => v !== before[i])).toBe(true);
        const held = await session.evaluate(new AbortController().signal);
        expect(held.samples).toBe(2);
        expect(Number.isFinite(held.loss)).toBe(true);
      } finally {
        await session.close();
      }
    }, 180_000);
  },
  ['tensorflow'],
);
