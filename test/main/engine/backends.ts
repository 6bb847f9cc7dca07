// Test helper (Node): runs a file's suites once per backend Tributary trains on; a backend that CI requires fails its tests when it is absent.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe } from 'vitest';
import { loadTfjsNode } from '../../../main/engine/backend.js';
import { registerTrainingGradients } from '../../../main/engine/gradients/index.js';
import { registerWasmTrainingKernels } from '../../../main/engine/kernels/index.js';

/** The backends Tributary chooses to train on; cpu, its last resort, is the reference the kernels are held to. */
export type TrainingBackend = 'tensorflow' | 'wasm';
export type TestBackend = TrainingBackend | 'cpu';
export const TRAINING_BACKENDS: readonly TrainingBackend[] = ['tensorflow', 'wasm'];
export const ALL_BACKENDS: readonly TestBackend[] = [...TRAINING_BACKENDS, 'cpu'];

/**
 * Backends that must be here, comma-separated (CI sets `tensorflow`, after scripts/build-tfjs-node.sh): their suites
 * run, and fail, where the backend is absent, instead of being skipped.
 */
export const REQUIRE_ENV = 'TRIBUTARY_TEST_REQUIRE_BACKENDS';

/** Why each backend cannot run in this process, if it cannot. Loading tfjs-node makes it the current backend: suites set their own. */
const absent: Partial<Record<TestBackend, string>> = {};
const tensorflowMissing = await loadTfjsNode();
if (tensorflowMissing !== undefined) absent.tensorflow = tensorflowMissing;

/** Why `backend` cannot run here (undefined: it can). */
export function whyAbsent(backend: TestBackend): string | undefined {
  return absent[backend];
}

export function isRequired(backend: TestBackend, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env[REQUIRE_ENV] ?? '')
    .split(',')
    .map((name) => name.trim())
    .includes(backend);
}

let underTest: TestBackend = 'wasm';

/** The backend the running suite is about (the one its results are compared with cpu on). */
export function backendUnderTest(): TestBackend {
  return underTest;
}

/** tfjs-backend-wasm in Node: the .wasm files are read from disk, so the prefix is the package's dist folder. */
export async function initWasm(): Promise<void> {
  const dist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  if (tf.findBackend('wasm') === null) setWasmPaths(`${dist}${path.sep}`); // once started, it refuses new paths
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
}

/** The wasm backend with our kernels, current backend afterwards. */
export async function initWasmWithKernels(): Promise<void> {
  await initWasm();
  registerWasmTrainingKernels(tf);
}

/** Makes `backend` current (wasm with Tributary's training kernels, every backend with its gradients); throws, saying why, when it cannot run here. */
export async function useBackend(backend: TestBackend): Promise<void> {
  registerTrainingGradients(tf);
  const reason = whyAbsent(backend);
  if (reason !== undefined) {
    const required = isRequired(backend) ? ` (${REQUIRE_ENV}=${process.env[REQUIRE_ENV]} requires it)` : '';
    throw new Error(`the ${backend} backend cannot run here${required}: ${reason}`);
  }
  if (backend === 'wasm') await initWasmWithKernels();
  else if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not start`);
  underTest = backend;
}

/**
 * `body` once per backend, in a suite named `on tensorflow`, `on wasm`, that starts its backend first. An absent backend's
 * suite is skipped with the reason in its name, unless REQUIRE_ENV names it: then its tests run and fail with the reason.
 */
export function forEachBackend<B extends TestBackend = TrainingBackend>(
  body: (backend: B) => void,
  backends: readonly B[] = TRAINING_BACKENDS as readonly B[],
): void {
  for (const backend of backends) {
    const reason = whyAbsent(backend);
    if (reason !== undefined && !isRequired(backend)) {
      describe.skip(`on ${backend} (skipped: ${reason})`, () => body(backend));
      continue;
    }
    describe(`on ${backend}`, () => {
      beforeAll(() => useBackend(backend));
      body(backend);
    });
  }
}
