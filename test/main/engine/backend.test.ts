// Tests (Node, real tfjs): backend selection falls from tensorflow to wasm to cpu, honours overrides, and says why.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeBackend, explainTfjsNodeFailure, selectBackend } from '../../../main/engine/backend.js';
import type { BackendReport } from '../../../main/engine/backend.js';

const NOT_INSTALLED = '@tensorflow/tfjs-node is not installed (its install downloads libtensorflow)';

describe('selectBackend', () => {
  it('tries tensorflow first and says in plain words why it was not used', async () => {
    const report = await selectBackend({ env: {} });
    expect(report.tried[0]).toMatchObject({ name: 'tensorflow', ok: false, reason: NOT_INSTALLED });
    expect(report.tried[0]!.ms).toBeGreaterThanOrEqual(0);
    expect(report.requested).toBeUndefined();
  });

  it("selects wasm, from the package's own .wasm files, once its gradient self-test passes", async () => {
    const report = await selectBackend({ env: {} });
    expect(report.name).toBe('wasm');
    expect(report.tried.map((attempt) => [attempt.name, attempt.ok])).toEqual([
      ['tensorflow', false],
      ['wasm', true],
    ]);
    expect(report.wasm).toEqual({ simd: expect.any(Boolean), threads: expect.any(Number) });
    expect(report.selfTest).toMatchObject({ ok: true });
    expect(report.warning).toBeUndefined();
    expect(report.tf.getBackend()).toBe('wasm');
    expect(describeBackend(report)).toMatch(
      /^backend: wasm \((no )?simd, \d+ threads?\); tensorflow not used: @tensorflow\/tfjs-node is not installed/,
    );
  });

  it('uses cpu when TRIBUTARY_BACKEND says so, with a warning', async () => {
    const report = await selectBackend({ env: { TRIBUTARY_BACKEND: 'cpu' } });
    expect(report.name).toBe('cpu');
    expect(report.tried.map((attempt) => attempt.name)).toEqual(['cpu']);
    expect(report.requested).toEqual({ name: 'cpu', by: 'TRIBUTARY_BACKEND' });
    expect(report.warning).toMatch(/very slow/);
    expect(report.tf.getBackend()).toBe('cpu');
    expect(describeBackend(report)).toBe('backend: cpu (requested by TRIBUTARY_BACKEND)');
  });

  it('lets TRIBUTARY_BACKEND override prefer', async () => {
    const report = await selectBackend({ prefer: 'tensorflow', env: { TRIBUTARY_BACKEND: 'cpu' } });
    expect(report.tried.map((attempt) => attempt.name)).toEqual(['cpu']);
  });

  it('refuses an unknown TRIBUTARY_BACKEND, naming the variable and the allowed values', async () => {
    await expect(selectBackend({ env: { TRIBUTARY_BACKEND: 'gpu' } })).rejects.toThrow(
      'TRIBUTARY_BACKEND=gpu is not a tfjs backend: use one of tensorflow, wasm, cpu, or unset it to choose automatically',
    );
    await expect(selectBackend({ prefer: 'webgl' as 'cpu', env: {} })).rejects.toThrow('prefer: "webgl" is not a tfjs backend');
  });

  it('falls back when the requested backend fails, and says it was requested', async () => {
    const report = await selectBackend({ prefer: 'tensorflow', env: {} });
    expect(report.requested).toEqual({ name: 'tensorflow', by: 'prefer' });
    expect(report.tried[0]).toMatchObject({ name: 'tensorflow', ok: false, reason: NOT_INSTALLED });
    expect(report.name).not.toBe('tensorflow');
    expect(describeBackend(report)).toContain(`tensorflow (requested) not used: ${NOT_INSTALLED}`);

    const byEnv = await selectBackend({ env: { TRIBUTARY_BACKEND: 'tensorflow' } });
    expect(describeBackend(byEnv)).toContain(`tensorflow (requested by TRIBUTARY_BACKEND) not used: ${NOT_INSTALLED}`);
  });
});

describe('describeBackend', () => {
  it('says why wasm runs on one thread', () => {
    const report: BackendReport = {
      tf,
      name: 'wasm',
      tried: [
        { name: 'tensorflow', ok: false, reason: NOT_INSTALLED, ms: 3 },
        { name: 'wasm', ok: true, ms: 40 },
      ],
      wasm: { simd: true, threads: 1, singleThreaded: "the threaded build's workers failed to start (boom)" },
    };
    expect(describeBackend(report)).toBe(
      `backend: wasm (simd, 1 thread: the threaded build's workers failed to start (boom)); tensorflow not used: ${NOT_INSTALLED}`,
    );
  });
});

describe('explainTfjsNodeFailure', () => {
  it('tells an absent package from one whose native library is missing', () => {
    const absent = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node' imported from /app/engine.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(explainTfjsNodeFailure(absent)).toBe(NOT_INSTALLED);
    const noLibrary = new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory\n    at Module._extensions');
    expect(explainTfjsNodeFailure(noLibrary)).toBe(
      '@tensorflow/tfjs-node is installed but its native library did not load (libtensorflow is downloaded when it installs): ' +
        'libtensorflow.so.2: cannot open shared object file: No such file or directory',
    );
    expect(explainTfjsNodeFailure('boom')).toBe('@tensorflow/tfjs-node failed to load: boom');
  });
});
