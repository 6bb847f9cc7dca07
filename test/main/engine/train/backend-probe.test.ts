// Tests (Node, real tensorflow and wasm backends, real cache files, a real training thread): the backend chosen by a timed
// probe, its cache per model and machine, the override that skips it, and the report line.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSectionSchema } from '../../../../common/model-config.js';
import { PROBE_CACHE_KEPT, readProbeCache, writeProbeCache } from '../../../../main/engine/backend-cache.js';
import type { ProbeCacheEntry } from '../../../../main/engine/backend-cache.js';
import { describeBackend, selectBackend } from '../../../../main/engine/backend.js';
import type { BackendReport } from '../../../../main/engine/backend.js';
import { buildModel } from '../../../../main/engine/model-spec.js';
import { chooseBackend, measureBackends, PROBE_LIMITS } from '../../../../main/engine/train/backend-probe.js';
import type { ProbeTarget } from '../../../../main/engine/train/backend-probe.js';
import { TrainingRunner } from '../../../../main/engine/train/runner.js';
import { tempDir } from '../../../fixtures/corpus.js';
import { forEachBackend } from '../backends.js';
import { toyParty } from './toy-party.js';
import type { ToyParty } from './toy-party.js';

const SHAPE = { height: 12, width: 12, channels: 1 };

function target(builtin: 'mnist-cnn' | 'mlp', batchSize = 16, learningRate = 0.001): ProbeTarget {
  const spec = ModelSectionSchema.parse({ builtin, learning_rate: learningRate });
  const build = () => buildModel(tf, spec, { inputShape: [12, 12, 1], numClasses: 3, baseDir: '.' });
  return { build, sampleShape: SHAPE, numClasses: 3, batchSize };
}

/** selectBackend as a session calls it, the model built on its choice, and the probe's choice; the model is freed. */
async function choose(
  builtin: 'mnist-cnn' | 'mlp',
  cacheFile: string,
  options: { batchSize?: number; learningRate?: number; prefer?: 'tensorflow' | 'wasm'; env?: NodeJS.ProcessEnv } = {},
): Promise<{ report: BackendReport; rebuild: boolean }> {
  const report = await selectBackend({ env: options.env ?? {}, ...(options.prefer && { prefer: options.prefer }) });
  const probed = target(builtin, options.batchSize, options.learningRate);
  const model = await probed.build();
  try {
    const rebuild = await chooseBackend(report, { model, target: probed, cacheFile, select: { env: options.env ?? {} } });
    return { report, rebuild };
  } finally {
    model.optimizer.dispose();
    model.dispose();
  }
}

const LINE =
  /^backend: (tensorflow|wasm) \(.*probe: (tensorflow|wasm) \d+(\.\d)? samples\/s( \(first step only[^)]*\))?, (tensorflow|wasm) \d+(\.\d)? samples\/s( \(first step only[^)]*\))?, (in \d+\.\d s|cached \d{4}-\d\d-\d\d)\)/;

forEachBackend(() => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('tributary-probe-');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  describe('the backend probe', () => {
    it('times tensorflow and wasm on the model and batch, chooses the faster it measured, and leaves no tensor behind', async () => {
      const cacheFile = path.join(dir, 'first', 'backend-probe.json');
      const before = tf.memory().numTensors;
      const { report, rebuild } = await choose('mnist-cnn', cacheFile);
      expect(tf.memory().numTensors).toBe(before);
      expect(rebuild).toBe(true);
      const rates = report.probe!.rates;
      expect(rates.map((rate) => rate.name).sort()).toEqual(['tensorflow', 'wasm']);
      expect(report.name).toBe(rates[0]!.name);
      expect(rates[0]!.samplesPerSec).toBe(Math.max(...rates.map((rate) => rate.samplesPerSec)));
      for (const rate of rates) expect(rate.steps === 0 || rate.steps >= PROBE_LIMITS.minSteps).toBe(true);
      expect(tf.getBackend()).toBe(report.name);
      expect(report.probe).toMatchObject({ cached: false, measuredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(report.tried.map((attempt) => [attempt.name, attempt.ok])).toEqual([
        ['tensorflow', true],
        ['wasm', true],
      ]);
      expect(describeBackend(report)).toMatch(LINE);
      expect(describeBackend(report)).toMatch(/, in \d+\.\d s\)$/);
      const cached = await readProbeCache(cacheFile);
      expect(cached.entries).toHaveLength(1);
      expect(cached.entries[0]).toMatchObject({ about: 'mnist_cnn, 12x12x1, batch 16', rates });
    });

    it('uses the cache on the next open of the same model and batch: the rates of the first, wasm not even started', async () => {
      const cacheFile = path.join(dir, 'again', 'backend-probe.json');
      const first = (await choose('mnist-cnn', cacheFile)).report;
      const { report, rebuild } = await choose('mnist-cnn', cacheFile);
      expect(report.probe).toEqual({ ...first.probe, cached: true });
      expect(report.name).toBe(first.name);
      // A cached tensorflow keeps the model built on it; a cached wasm starts wasm (no probe) and rebuilds on it.
      expect(report.tried.map((attempt) => attempt.name)).toEqual(report.name === 'tensorflow' ? ['tensorflow'] : ['tensorflow', 'wasm']);
      expect(rebuild).toBe(report.name !== 'tensorflow');
      expect(describeBackend(report)).toMatch(new RegExp(`, cached ${first.probe!.measuredAt.slice(0, 10)}\\)$`));
    });

    it('measures again for another model, batch size or training step, keeping the earlier entries', async () => {
      const cacheFile = path.join(dir, 'signature', 'backend-probe.json');
      await choose('mnist-cnn', cacheFile);
      expect((await choose('mnist-cnn', cacheFile, { batchSize: 8 })).report.probe!.cached).toBe(false);
      expect((await choose('mlp', cacheFile)).report.probe!.cached).toBe(false);
      expect((await choose('mnist-cnn', cacheFile)).report.probe!.cached).toBe(true);
      expect((await choose('mnist-cnn', cacheFile, { env: { TRIBUTARY_TRAIN_STEP: 'eager' } })).report.probe!.cached).toBe(false);
      expect((await readProbeCache(cacheFile)).entries.map((entry) => entry.about)).toEqual([
        'mnist_cnn, 12x12x1, batch 16',
        'mlp, 12x12x1, batch 16',
        'mnist_cnn, 12x12x1, batch 8',
        'mnist_cnn, 12x12x1, batch 16',
      ]);
    });

    it('ignores a cache file it cannot use, with a warning in the backend line, measures, and writes a good one', async () => {
      const cacheFile = path.join(dir, 'corrupt', 'backend-probe.json');
      await mkdir(path.dirname(cacheFile), { recursive: true });
      for (const [content, problem] of [
        ['{"version": 1, "entries": [', /is not JSON \(.*\): ignored, the backends were measured again$/],
        ['{"version": 2, "entries": []}', /is not one this Tributary writes \(version: .*\): ignored, the backends were measured again$/],
      ] as const) {
        await writeFile(cacheFile, content);
        const { report } = await choose('mnist-cnn', cacheFile);
        expect(report.probe!.cached).toBe(false);
        expect(report.probeProblem).toMatch(new RegExp(`^the backend probe cache ${cacheFile} ${problem.source}`));
        expect(describeBackend(report)).toMatch(/; warning: the backend probe cache .* ignored, the backends were measured again$/);
        expect((await readProbeCache(cacheFile)).entries).toHaveLength(1);
      }
    });

    it('keeps the first backend, with a warning, when the probe fails, and caches nothing', async () => {
      const cacheFile = path.join(dir, 'failed', 'backend-probe.json');
      const before = tf.memory().numTensors;
      // Adam at a rate of 1e30 turns the weights to 1e30 in the warm-up step, and the next step's loss is not a number.
      const { report, rebuild } = await choose('mnist-cnn', cacheFile, { learningRate: 1e30 });
      expect(tf.memory().numTensors).toBe(before);
      expect(rebuild).toBe(true);
      expect(report.name).toBe('tensorflow');
      expect(tf.getBackend()).toBe('tensorflow');
      expect(report.probe).toBeUndefined();
      expect(describeBackend(report)).toMatch(
        /; warning: the backend probe failed \(epoch 1, batch 1: the loss is NaN, .*\), so tensorflow stays$/,
      );
      await expect(readFile(cacheFile)).rejects.toThrow(/ENOENT/);
    });

    it('is skipped when a backend is asked for, by the config or the CLI or TRIBUTARY_BACKEND', async () => {
      const cacheFile = path.join(dir, 'override', 'backend-probe.json');
      for (const asked of [{ prefer: 'tensorflow' as const }, { prefer: 'wasm' as const }, { env: { TRIBUTARY_BACKEND: 'tensorflow' } }]) {
        const { report, rebuild } = await choose('mnist-cnn', cacheFile, asked);
        expect(rebuild).toBe(false);
        expect(report.probe).toBeUndefined();
        expect(report.tried).toHaveLength(1);
        expect(describeBackend(report)).not.toContain('probe');
      }
      await expect(readFile(cacheFile)).rejects.toThrow(/ENOENT/);
    });

    it('times every backend for as many steps as asked, and stops timing one whose first step was far slower', async () => {
      await selectBackend({ env: {} });
      await selectBackend({ prefer: 'wasm', env: {} });
      const limits = { ...PROBE_LIMITS, steps: 3, minSteps: 3, budgetMs: 0 };
      const all = await measureBackends(tf, ['tensorflow', 'wasm'], target('mlp'), { ...limits, cutoff: Infinity, scoutAfterMs: Infinity });
      expect(all.map((rate) => rate.steps)).toEqual([3, 3]);
      // A cutoff of 0 cuts every backend after the first one's: the first is timed, the other rated by its first step.
      const cut = await measureBackends(tf, ['tensorflow', 'wasm'], target('mlp'), { ...limits, cutoff: 0, scoutAfterMs: Infinity });
      expect(Object.fromEntries(cut.map(({ name, ...rate }) => [name, rate]))).toEqual({
        tensorflow: { samplesPerSec: expect.any(Number), steps: 3 },
        wasm: { samplesPerSec: expect.any(Number), steps: 0 },
      });
      // A scout takes that first step on 1/8 of the batch of 16 (2 samples) and, not cut, goes on with the whole batch.
      const scouted = await measureBackends(tf, ['tensorflow', 'wasm'], target('mlp'), { ...limits, scoutAfterMs: 0, cutoff: 0 });
      expect(scouted.find((rate) => rate.name === 'wasm')).toEqual({
        name: 'wasm',
        samplesPerSec: expect.any(Number),
        steps: 0,
        samples: 2,
      });
      const notCut = await measureBackends(tf, ['tensorflow', 'wasm'], target('mlp'), { ...limits, scoutAfterMs: 0, cutoff: Infinity });
      expect(notCut.map((rate) => rate.steps)).toEqual([3, 3]);
      expect([...all, ...cut, ...scouted, ...notCut].every((rate) => rate.samplesPerSec > 0 && Number.isFinite(rate.samplesPerSec))).toBe(
        true,
      );
    });
  });

  describe('a training thread opened without a backend asked for', () => {
    let party: ToyParty;
    let cacheDir: string;
    const saved = process.env.TRIBUTARY_CACHE_DIR;
    beforeAll(async () => {
      party = await toyParty(await tempDir('tributary-probe-party-'), { batchSize: 8 });
      cacheDir = await tempDir('tributary-probe-cache-');
      process.env.TRIBUTARY_CACHE_DIR = cacheDir; // a training thread's environment is a copy of this one, made as it starts
    });
    afterAll(async () => {
      if (saved === undefined) delete process.env.TRIBUTARY_CACHE_DIR;
      else process.env.TRIBUTARY_CACHE_DIR = saved;
      await rm(party.dir, { recursive: true, force: true });
      await rm(cacheDir, { recursive: true, force: true });
    });

    async function run(backend?: 'tensorflow' | 'wasm'): Promise<{ description: string; name: string; loss: number; weights: number[][] }> {
      const runner = new TrainingRunner();
      try {
        const info = await runner.open({
          configFile: party.configFile,
          model: { builtin: 'mnist-cnn', seed: 3 },
          ...(backend && { backend }),
        });
        const weights = (await runner.getWeights()).map((w) => Array.from(w.data));
        const { epochs } = await runner.train(1);
        return { description: info.backend.description, name: info.backend.name, loss: epochs[0]!.loss, weights };
      } finally {
        await runner.close();
      }
    }

    it('probes on the first open, reads the cache on the next, and trains as if the chosen backend had been asked for', async () => {
      const probed = await run();
      expect(probed.description).toMatch(LINE);
      expect(probed.description).toMatch(/, in \d+\.\d s\)$/);
      const again = await run();
      expect(again.description).toMatch(/, cached \d{4}-\d\d-\d\d\)$/);
      expect(again.name).toBe(probed.name);
      // The probe's own models and steps leave no trace: the same initial weights, dropout draws and loss.
      const asked = await run(probed.name as 'tensorflow' | 'wasm');
      expect(asked.description).not.toContain('probe');
      expect(probed.weights).toEqual(asked.weights);
      expect(probed.loss).toBe(asked.loss);
      expect(again.loss).toBe(asked.loss);
      expect(JSON.parse(await readFile(path.join(cacheDir, 'backend-probe.json'), 'utf8')).entries).toHaveLength(1);
    });
  });
}, ['tensorflow']);

describe('the probe cache file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('tributary-probe-file-');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const entry = (n: number): ProbeCacheEntry => ({
    key: n.toString(16).padStart(64, '0'),
    about: `model ${n}`,
    rates: [
      { name: 'tensorflow', samplesPerSec: 48, steps: 4 },
      { name: 'wasm', samplesPerSec: 9, steps: 0 },
    ],
    measuredAt: '2026-12-06T23:00:00.000Z',
    ms: 1200,
  });

  it(`keeps the newest ${PROBE_CACHE_KEPT} probes, the newest first, one per key`, async () => {
    const file = path.join(dir, 'bounded.json');
    for (let n = 0; n < PROBE_CACHE_KEPT + 5; n++) {
      expect(await writeProbeCache(file, (await readProbeCache(file)).entries, entry(n))).toBeUndefined();
    }
    await writeProbeCache(file, (await readProbeCache(file)).entries, entry(PROBE_CACHE_KEPT));
    const { entries, problem } = await readProbeCache(file);
    expect(problem).toBeUndefined();
    // Written 0 to KEPT+4, then KEPT again: KEPT moves to the front, and 0 to 4 are gone.
    const newestFirst = Array.from({ length: PROBE_CACHE_KEPT + 5 }, (_, i) => PROBE_CACHE_KEPT + 4 - i).filter(
      (n) => n !== PROBE_CACHE_KEPT,
    );
    expect(entries.map((e) => e.about)).toEqual([PROBE_CACHE_KEPT, ...newestFirst.slice(0, PROBE_CACHE_KEPT - 1)].map((n) => `model ${n}`));
  });

  it('says why a cache it cannot read or write is not used, without throwing', async () => {
    expect(await readProbeCache(path.join(dir, 'absent.json'))).toEqual({ entries: [] });
    expect((await readProbeCache(dir)).problem).toMatch(/^the backend probe cache .* could not be read \(EISDIR/);
    const blocked = path.join(dir, 'a-file');
    await writeFile(blocked, '');
    expect(await writeProbeCache(path.join(blocked, 'backend-probe.json'), [], entry(1))).toMatch(
      /^the backend probe cache .* could not be written \(.*\): the next start measures the backends again$/,
    );
  });
});

describe('the backend line with a probe', () => {
  const report: BackendReport = {
    tf,
    name: 'tensorflow',
    tried: [
      { name: 'tensorflow', ok: true, ms: 800 },
      { name: 'wasm', ok: true, ms: 600 },
    ],
    tensorflow: { version: '2.21.0' },
    probe: {
      rates: [
        { name: 'tensorflow', samplesPerSec: 48.4, steps: 2 },
        { name: 'wasm', samplesPerSec: 8.96, steps: 0, samples: 4 },
      ],
      measuredAt: '2026-12-06T23:00:00.000Z',
      ms: 6240,
      cached: false,
    },
  };

  it('names the chosen backend and both measured rates, and how long the probe took or when it was cached', () => {
    expect(describeBackend(report)).toBe(
      'backend: tensorflow (TensorFlow 2.21.0; probe: tensorflow 48 samples/s, wasm 9.0 samples/s (first step only, 4 samples), in 6.2 s)',
    );
    expect(describeBackend({ ...report, probe: { ...report.probe!, cached: true } })).toBe(
      'backend: tensorflow (TensorFlow 2.21.0; probe: tensorflow 48 samples/s, wasm 9.0 samples/s (first step only, 4 samples), cached 2026-12-06)',
    );
  });
});
