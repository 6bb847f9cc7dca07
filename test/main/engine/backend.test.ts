// Tests (Node, real tfjs, real tfjs-node where it is built): backend selection falls from tensorflow to wasm to cpu, honours overrides, and says why.
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackend, explainTfjsNodeFailure, selectBackend } from '../../../main/engine/backend.js';
import type { BackendReport } from '../../../main/engine/backend.js';
import { tempDir } from '../../fixtures/corpus.js';
import { forEachBackend } from './backends.js';

const NOT_INSTALLED =
  '@tensorflow/tfjs-node is not installed (its install downloads libtensorflow; without internet: scripts/build-tfjs-node.sh)';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Selected {
  line: string;
  name: BackendReport['name'];
  tried: Array<Pick<BackendReport['tried'][number], 'name' | 'ok' | 'reason'>>;
  selfTest?: BackendReport['selfTest'];
}

/**
 * selectBackend in a fresh Node, from `root` (a checkout or a copy of one), with TRIBUTARY_BACKEND set to `requested`
 * if given, and `env` added; the report as plain data.
 */
async function selectFresh(root: string, env: NodeJS.ProcessEnv = {}, requested?: string): Promise<Selected> {
  const code = `
const { describeBackend, selectBackend } = await import(${JSON.stringify(path.join(root, 'main/engine/backend.ts'))});
const report = await selectBackend({ env: ${JSON.stringify(requested === undefined ? {} : { TRIBUTARY_BACKEND: requested })} });
const tried = report.tried.map(({ name, ok, reason }) => ({ name, ok, ...(reason !== undefined && { reason }) }));
console.log(JSON.stringify({ line: describeBackend(report), name: report.name, tried, selfTest: report.selfTest }));
`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

/**
 * A copy of the engine's sources beside a node_modules that links every installed package but tfjs-node: what a site
 * has where npm left the package out (its install could not download libtensorflow). Node finds no tfjs-node from there.
 */
async function checkoutWithoutTfjsNode(dir: string): Promise<string> {
  for (const folder of ['main/engine', 'common']) await cp(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const modules = path.join(ROOT, 'node_modules');
  await mkdir(path.join(dir, 'node_modules/@tensorflow'), { recursive: true });
  for (const name of await readdir(modules)) {
    if (name !== '@tensorflow') await symlink(path.join(modules, name), path.join(dir, 'node_modules', name));
  }
  for (const name of await readdir(path.join(modules, '@tensorflow'))) {
    if (name !== 'tfjs-node') await symlink(path.join(modules, '@tensorflow', name), path.join(dir, 'node_modules/@tensorflow', name));
  }
  return dir;
}

describe('selectBackend where tfjs-node is not installed', () => {
  let root: string;
  beforeAll(async () => {
    root = await checkoutWithoutTfjsNode(await tempDir('tributary-no-tfjs-node-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('tries tensorflow first, says in plain words why it was not used, and selects wasm once its gradient self-test passes', async () => {
    const report = await selectFresh(root);
    expect(report.tried).toEqual([
      { name: 'tensorflow', ok: false, reason: NOT_INSTALLED },
      { name: 'wasm', ok: true },
    ]);
    expect(report.selfTest).toMatchObject({ ok: true });
    expect(report.line).toMatch(
      /^backend: wasm \((no )?simd, \d+ threads?\); tensorflow not used: @tensorflow\/tfjs-node is not installed/,
    );
  });

  it('falls back when tensorflow is requested, and says it was requested', async () => {
    const report = await selectFresh(root, {}, 'tensorflow');
    expect(report.tried[0]).toEqual({ name: 'tensorflow', ok: false, reason: NOT_INSTALLED });
    expect(report.name).toBe('wasm');
    expect(report.line).toContain(`tensorflow (requested by TRIBUTARY_BACKEND) not used: ${NOT_INSTALLED}`);
  });
});

forEachBackend(() => {
  it('is chosen first where tfjs-node loads, once its gradient self-test passes, and the line names its TensorFlow', async () => {
    const report = await selectBackend({ env: {} });
    expect(report.name).toBe('tensorflow');
    expect(report.tried.map((attempt) => [attempt.name, attempt.ok])).toEqual([['tensorflow', true]]);
    expect(report.tensorflow?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.selfTest).toMatchObject({ ok: true });
    expect(report.selfTest!.maxRelError).toBeLessThan(1e-5);
    expect(report.warning).toBeUndefined();
    expect(report.tf.getBackend()).toBe('tensorflow');
    expect(describeBackend(report)).toBe(`backend: tensorflow (TensorFlow ${report.tensorflow!.version})`);
  });

  it('is not trusted with training when a gradient is wrong: a kernel off its attributes sends training to wasm, saying why', async () => {
    // MaxPoolGrad told 2x2 windows for the self-test's 3x3 pool: the same shape, the gradient at the wrong places, as a
    // binding that maps an attribute wrong would give.
    const stock = tf.getKernel(tf.MaxPoolGrad, 'tensorflow');
    tf.unregisterKernel(tf.MaxPoolGrad, 'tensorflow');
    tf.registerKernel({ ...stock, kernelFunc: (args) => stock.kernelFunc({ ...args, attrs: { ...args.attrs, filterSize: 2 } }) });
    try {
      const report = await selectBackend({ env: {} });
      expect(report.name).toBe('wasm');
      expect(report.tried[0]).toMatchObject({
        name: 'tensorflow',
        ok: false,
        reason: expect.stringMatching(/^its gradient self-test failed \(largest relative error \d\.\de[+-]\d+ against cpu\)$/),
      });
      expect(describeBackend(report)).toMatch(/; tensorflow not used: its gradient self-test failed/);
    } finally {
      tf.unregisterKernel(tf.MaxPoolGrad, 'tensorflow');
      tf.registerKernel(stock);
    }
    expect((await selectBackend({ env: {} })).name).toBe('tensorflow');
  });

  it("falls back to wasm when tfjs-node's native library does not load, and says so", async () => {
    // The binding finds libtensorflow through its runpath, which LD_LIBRARY_PATH comes before: a broken library there is
    // what a half-finished build or a wrong copy looks like.
    const broken = await tempDir('tributary-broken-libtensorflow-');
    try {
      await writeFile(path.join(broken, 'libtensorflow_cc.so.2'), 'not a library');
      const report = await selectFresh(ROOT, { LD_LIBRARY_PATH: broken });
      expect(report.name).toBe('wasm');
      expect(report.tried[0]).toEqual({
        name: 'tensorflow',
        ok: false,
        reason: expect.stringMatching(
          /^@tensorflow\/tfjs-node is installed but its native library did not load \(run scripts\/build-tfjs-node\.sh\): .*libtensorflow_cc\.so\.2/,
        ),
      });
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
}, ['tensorflow']);

describe('selectBackend', () => {
  it("selects wasm when asked, from the package's own .wasm files, once its gradient self-test passes", async () => {
    const report = await selectBackend({ prefer: 'wasm', env: {} });
    expect(report.name).toBe('wasm');
    expect(report.tried.map((attempt) => [attempt.name, attempt.ok])).toEqual([['wasm', true]]);
    expect(report.wasm).toEqual({ simd: expect.any(Boolean), threads: expect.any(Number) });
    expect(report.selfTest).toMatchObject({ ok: true });
    expect(report.warning).toBeUndefined();
    expect(report.tf.getBackend()).toBe('wasm');
    expect(describeBackend(report)).toMatch(/^backend: wasm \((no )?simd, \d+ threads?; requested\)$/);
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

  it("names tensorflow's own failed self-test when wasm is chosen after it", () => {
    const report: BackendReport = {
      tf,
      name: 'wasm',
      tried: [
        { name: 'tensorflow', ok: false, reason: 'its gradient self-test failed (largest relative error 1.1e+0 against cpu)', ms: 60 },
        { name: 'wasm', ok: true, ms: 40 },
      ],
      tensorflow: { version: '2.21.0' },
      wasm: { simd: true, threads: 2 },
    };
    expect(describeBackend(report)).toBe(
      'backend: wasm (simd, 2 threads); tensorflow not used: its gradient self-test failed (largest relative error 1.1e+0 against cpu)',
    );
  });
});

describe('explainTfjsNodeFailure', () => {
  it('tells an absent package from one whose native library is missing, and names the offline build for both', () => {
    const absent = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node' imported from /app/engine.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(explainTfjsNodeFailure(absent)).toBe(NOT_INSTALLED);
    const noLibrary = new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory\n    at Module._extensions');
    expect(explainTfjsNodeFailure(noLibrary)).toBe(
      '@tensorflow/tfjs-node is installed but its native library did not load (run scripts/build-tfjs-node.sh): ' +
        'libtensorflow.so.2: cannot open shared object file: No such file or directory',
    );
    expect(explainTfjsNodeFailure('boom')).toBe('@tensorflow/tfjs-node failed to load: boom');
  });
});
