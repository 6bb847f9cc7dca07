// Tests (Node, real tfjs wasm): the threaded build starts in Node, gets the threads asked for, computes the training
// kernels right, and lets its process or worker thread end on its own.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it, vi } from 'vitest';
import { registerWasmTrainingKernels } from '../../../main/engine/kernels/index.js';
import { selfTestGradients } from '../../../main/engine/kernels/self-test.js';
import { TrainingRunner } from '../../../main/engine/train/runner.js';
import { enableWasmThreads, finishWasmThreads, WASM_THREADS_ENV, WASM_THREADS_FAULT_ENV } from '../../../main/engine/wasm-threads.js';
import { tempDir } from '../../fixtures/corpus.js';
import { toyParty } from './train/toy-party.js';

const FLAG = 'WASM_HAS_MULTITHREAD_SUPPORT';
const require = createRequire(import.meta.url);
/** Absolute URLs only: the script below also runs from a data: URL, where neither relative nor bare specifiers resolve. */
const module = (file: string) => JSON.stringify(new URL(file, import.meta.url).href);
const dependency = (name: string) => JSON.stringify(pathToFileURL(require.resolve(name)).href);

/** Starts wasm with 2 threads, trains mnist-cnn for 3 batches and prints what happened; never calls process.exit. */
const TRAIN = `
const tf = await import(${dependency('@tensorflow/tfjs')});
const wasm = await import(${dependency('@tensorflow/tfjs-backend-wasm')});
const { enableWasmThreads, finishWasmThreads } = await import(${module('../../../main/engine/wasm-threads.ts')});
const { registerWasmTrainingKernels } = await import(${module('../../../main/engine/kernels/index.ts')});
const { buildBuiltin } = await import(${module('../../../main/engine/builtin-models.ts')});
const { isMainThread } = await import('node:worker_threads');
wasm.setWasmPaths(${JSON.stringify(require.resolve('@tensorflow/tfjs-backend-wasm').replace(/[^/\\]*$/, ''))});
const setup = enableWasmThreads(tf, wasm, 2);
const started = await tf.setBackend('wasm');
finishWasmThreads(tf);
registerWasmTrainingKernels(tf);
const model = buildBuiltin(tf, 'mnist-cnn', [28, 28, 1], 10);
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
const losses = [];
for (let i = 0; i < 3; i++) {
  const x = tf.randomUniform([64, 28, 28, 1]);
  const y = tf.oneHot(tf.randomUniform([64], 0, 10, 'int32'), 10).toFloat();
  losses.push(await model.trainOnBatch(x, y));
  tf.dispose([x, y]);
}
console.log(JSON.stringify({ setup, started, threads: wasm.getThreadsCount(), losses, mainThread: isMainThread }));
`;

/** Runs TRAIN in a fresh Node (with tsx for the .ts imports), in its main thread or in a worker thread. */
async function runFresh(
  inWorker: boolean,
): Promise<{ setup: unknown; started: boolean; threads: number; losses: number[]; mainThread: boolean }> {
  // tsx's hooks do not reach worker threads by themselves: the worker registers them before it imports TRAIN.
  const worker = `
const { Worker } = await import('node:worker_threads');
const code = 'import("tsx/esm/api").then(({ register }) => { register(); return import("data:text/javascript," + encodeURIComponent(process.env.TRAIN)); })';
const w = new Worker(code, { eval: true });
w.on('error', (error) => { console.error(error); process.exitCode = 1; });
`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', inWorker ? worker : TRAIN],
    {
      env: { ...process.env, TRAIN },
      // The process must end by itself: a pthread worker that kept it alive would run into this.
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('enableWasmThreads', () => {
  it('turns nothing on for one thread, or for a bad TRIBUTARY_WASM_THREADS, and says why', () => {
    expect(enableWasmThreads(tf, wasm, 1)).toEqual({ ok: false, threads: 1, reason: 'one thread was asked for' });
    expect(enableWasmThreads(tf, wasm, undefined, { [WASM_THREADS_ENV]: '1' })).toEqual({
      ok: false,
      threads: 1,
      reason: 'one thread was asked for',
    });
    expect(enableWasmThreads(tf, wasm, undefined, { [WASM_THREADS_ENV]: 'two' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/whole number/),
    });
    // The variable wins over the config's `training.threads`, so an operator can override a config without editing it.
    expect(enableWasmThreads(tf, wasm, 4, { [WASM_THREADS_ENV]: '1' })).toEqual({
      ok: false,
      threads: 1,
      reason: 'one thread was asked for',
    });
    expect(tf.env().getFlags()[FLAG]).toBeUndefined();
  });

  it('starts the threaded build with the threads asked for, and the training kernels still match cpu', async () => {
    expect(enableWasmThreads(tf, wasm, 2)).toEqual({ ok: true, threads: 2, failed: expect.any(Promise) });
    expect(await tf.setBackend('wasm')).toBe(true);
    finishWasmThreads(tf);
    expect(wasm.getThreadsCount()).toBe(2);
    registerWasmTrainingKernels(tf);
    const selfTest = selfTestGradients(tf);
    expect(selfTest).toMatchObject({ ok: true });
    const x = tf.tensor4d(
      Float32Array.from({ length: 2 * 13 * 13 * 32 }, (_, i) => Math.sin(i)),
      [2, 13, 13, 32],
    );
    const filter = tf.tensor4d(
      Float32Array.from({ length: 3 * 3 * 32 * 64 }, (_, i) => Math.cos(i) / 10),
      [3, 3, 32, 64],
    );
    const threaded = tf.conv2d(x, filter, 1, 'valid').dataSync().slice();
    await tf.setBackend('cpu');
    const reference = tf.conv2d(x, filter, 1, 'valid').dataSync();
    const scale = Math.max(...reference.map(Math.abs));
    expect(Math.max(...threaded.map((value, i) => Math.abs(value - reference[i]!))) / scale).toBeLessThan(1e-5);
  });

  it('trains in a fresh process, which then exits by itself', async () => {
    const run = await runFresh(false);
    expect(run).toMatchObject({ setup: { ok: true, threads: 2 }, started: true, threads: 2, mainThread: true });
    expect(run.losses.every(Number.isFinite)).toBe(true);
  });

  it('trains in a worker thread, which then ends by itself', async () => {
    const run = await runFresh(true);
    expect(run).toMatchObject({ setup: { ok: true, threads: 2 }, started: true, threads: 2, mainThread: false });
    expect(run.losses.every(Number.isFinite)).toBe(true);
  });
});

describe('a threaded build whose pthread workers fail to start', () => {
  it('leaves the training thread running on the single-threaded build, and says why', async () => {
    const party = await toyParty(await tempDir('tributary-wasm-threads-'));
    vi.stubEnv(WASM_THREADS_ENV, '2'); // threads are wanted even on a one-core machine
    vi.stubEnv(WASM_THREADS_FAULT_ENV, '1');
    const runner = new TrainingRunner(); // its thread starts with a copy of this environment
    vi.unstubAllEnvs();
    try {
      const info = await runner.open({ configFile: party.configFile, model: { builtin: 'mlp' }, backend: 'wasm' });
      expect(info.backend).toEqual({
        name: 'wasm',
        description: expect.stringMatching(
          new RegExp(
            `^backend: wasm \\((no )?simd, 1 thread: the threaded build's workers failed to start ` +
              `\\(pthread worker failed on purpose \\(${WASM_THREADS_FAULT_ENV} is set\\)\\); requested\\)`,
          ),
        ),
        warning: 'wasm threads failed to start, so training uses one core',
      });
      const trained = await runner.train(1);
      expect(trained.epochs[0]!.loss).toBeGreaterThan(0);
      expect(runner.state).toBe('running');
    } finally {
      await runner.close();
      await rm(party.dir, { recursive: true, force: true });
    }
  });
});
