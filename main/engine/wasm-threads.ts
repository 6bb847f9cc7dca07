// Runs where training runs (plain Node, main thread or a worker thread): lets tfjs-backend-wasm 4.22 use its
// threaded-simd build, so that XNNPACK's thread pool spreads convolutions and matmuls over several cores.
//
// How tfjs decides (dist/tf-backend-wasm.node.js, 4.22.0):
// - init() picks tfjs-backend-wasm-threaded-simd.wasm only when both WASM_HAS_SIMD_SUPPORT and
//   WASM_HAS_MULTITHREAD_SUPPORT are true. The latter's evaluator returns false whenever IS_NODE
//   (tensorflow/tfjs#3830), before it even checks SharedArrayBuffer and wasm atomics; a flag set with
//   tf.env().set() wins over the evaluator.
// - With the flag forced on, the Emscripten glue (compiled with Node support: it uses worker_threads for pthreads)
//   preallocates 8 pthread workers, but tfjs hands it two things only a browser can load:
//   1. the worker script, as a `blob:` URL made from an inlined string: Node's Worker accepts only file paths and
//      file: or data: URLs (ERR_WORKER_PATH);
//   2. the main script each worker imports, as a Blob of `"var WasmBackendModuleThreadedSimd = " + factory.toString()`
//      where the factory is the rollup-bundled glue, whose source refers to bundle-scope variables (require$$0,
//      commonjsGlobal...) that do not exist in the worker.
//   The glue looks the Worker class up as a global, after setting globalThis.Worker = worker_threads.Worker itself.
// - Then the C++ side (src/cc/backend.cc) caps the pool at emscripten_num_logical_cores() / 2 (it assumes two
//   hyperthreads per core), read once while the module starts; in Node that is os.cpus().length, so on 2 cores
//   setThreadsCount(2) still gives 1 thread.
// The workaround: globalThis.Worker becomes a subclass of worker_threads.Worker that runs the package's own worker
// script (wasm-out/*.worker.js exports it as a string) instead of the blob: URL, and that replaces the Blob in the
// "load" message by the path of the package's unbundled glue (wasm-out/tfjs-backend-wasm-threaded-simd.js, the same
// Emscripten build: its wasm imports match). Every other use of Worker is passed through unchanged.
// And os.cpus() of this thread reports 2 x threads entries until the backend has started, so the cap lets them
// through (the C++ side also caps at 8; wasm.getThreadsCount() says what was granted).
// Afterwards (finishWasmThreads): os.cpus is restored; the pthread workers are unref'd, since XNNPACK's pool threads
// never exit and Emscripten refs a worker while its thread runs, which would keep the process alive; the idle
// preallocated workers are terminated (each is a V8 isolate).
// If a pthread worker fails while the backend starts, Emscripten's error handler rethrows in this thread (which would
// end it) and its module waits for that worker forever (so tf.setBackend never settles). While the backend starts, the
// shim reports such a failure through `failed` instead, and the caller starts the single-threaded build.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';
import type * as TfjsWasm from '@tensorflow/tfjs-backend-wasm';
import type { Tf } from './backend.js';

export interface WasmThreadsSetup {
  /** True when the threaded build will be used by the next tf.setBackend('wasm'). */
  ok: boolean;
  /** The XNNPACK thread count asked for (1 when ok is false). */
  threads: number;
  /** Why threads are not used, in words an operator can act on. */
  reason?: string;
  /** When ok: settles with the first pthread worker failure before finishWasmThreads or disableWasmThreads (if any). */
  failed?: Promise<Error>;
}

/** A thread count from an environment variable overrides the config and the default (all logical cores); 1 turns threads off. */
export const WASM_THREADS_ENV = 'TRIBUTARY_WASM_THREADS';
/** For tests only: makes every pthread worker fail as it starts (its script throws), as a broken install would. */
export const WASM_THREADS_FAULT_ENV = 'TRIBUTARY_TEST_WASM_THREADS_FAULT';
const FAULTY_WORKER = `throw new Error('pthread worker failed on purpose (${WASM_THREADS_FAULT_ENV} is set)');`;

const FLAG = 'WASM_HAS_MULTITHREAD_SUPPORT';
const WORKER_SCRIPT = 'tfjs-backend-wasm-threaded-simd.worker.js';
const GLUE_SCRIPT = 'tfjs-backend-wasm-threaded-simd.js';
/** The shared-memory atomics test of wasm-feature-detect, as in tfjs's own flag evaluator. */
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
]);
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11]);

/**
 * One threaded start: where its pthread workers' failures go, and whether to fail them on purpose. Until it has
 * `started`, a failure of one of its workers is reported here, never thrown; an abandoned start never starts.
 */
interface ThreadedStart {
  fail: (error: Error) => void;
  fault: boolean;
  started: boolean;
}
/** The threaded start under way, between enableWasmThreads and finishWasmThreads or disableWasmThreads. */
let starting: ThreadedStart | null = null;

/** The parts of the Emscripten module (tf.backend().wasm) used after start. */
interface PthreadModule {
  PThread?: { runningWorkers: NodeWorker[]; unusedWorkers: NodeWorker[] };
}

/**
 * Call before tf.setBackend('wasm') (and after wasm.setWasmPaths). TRIBUTARY_WASM_THREADS wins over `threads` (from
 * the config), which wins over the number of logical cores. When it returns ok: false nothing was changed and tfjs
 * uses its single-threaded build; when ok, race tf.setBackend('wasm') against `failed`.
 */
export function enableWasmThreads(tf: Tf, wasm: typeof TfjsWasm, threads?: number, env: NodeJS.ProcessEnv = process.env): WasmThreadsSetup {
  const wanted = threadsFromEnv(env) ?? threads ?? os.availableParallelism();
  const off = (reason: string): WasmThreadsSetup => ({ ok: false, threads: 1, reason });
  if (!Number.isInteger(wanted) || wanted < 1) return off(`${WASM_THREADS_ENV} must be a whole number of threads, 1 or more`);
  if (wanted === 1) return off(threads === undefined && !env[WASM_THREADS_ENV] ? 'this machine has one core' : 'one thread was asked for');
  if (typeof SharedArrayBuffer !== 'function')
    return off('SharedArrayBuffer is not available in this Node (it is needed for wasm threads)');
  if (!validates(THREADS_PROBE)) return off('this Node does not support WebAssembly threads (shared memory and atomics)');
  // tfjs ships threads only in its SIMD build.
  if (!validates(SIMD_PROBE)) return off('this Node does not support WebAssembly SIMD, which the threaded tfjs build needs');
  let files: { worker: string; glue: string };
  try {
    files = packageFiles();
  } catch (error) {
    return off(error instanceof Error ? error.message : String(error));
  }
  const failed = new Promise<Error>(
    (resolve) => (starting = { fail: resolve, fault: Boolean(env[WASM_THREADS_FAULT_ENV]), started: false }),
  );
  installWorkerShim(files);
  reportCores(2 * wanted);
  tf.env().set(FLAG, true);
  wasm.setThreadsCount(wanted);
  return { ok: true, threads: wanted, failed };
}

/**
 * Call after tf.setBackend('wasm') succeeded: lets the process exit although XNNPACK's threads run forever, and frees
 * the pthread workers Emscripten preallocated but XNNPACK does not use. Harmless with the single-threaded build.
 */
export function finishWasmThreads(tf: Tf): void {
  if (starting) starting.started = true;
  starting = null;
  restoreCores();
  const pthreads = (tf.findBackend('wasm') as unknown as { wasm?: PthreadModule } | null)?.wasm?.PThread;
  if (!pthreads) return;
  for (const worker of pthreads.runningWorkers) worker.unref();
  for (const worker of pthreads.unusedWorkers) void worker.terminate();
  pthreads.unusedWorkers.length = 0;
}

/**
 * Undoes enableWasmThreads for a second tf.setBackend('wasm') after the threaded build failed to start. tfjs's init
 * reads the flag each time, so unsetting it selects the single-threaded SIMD build again; a threaded start still
 * pending is left behind (tfjs ignores it should it ever finish).
 */
export function disableWasmThreads(tf: Tf, wasm: typeof TfjsWasm): void {
  starting = null;
  restoreCores();
  tf.env().set(FLAG, false);
  wasm.setThreadsCount(1);
}

let realCpus: typeof os.cpus | undefined;

/** Makes os.cpus() list at least `count` entries (copies of the real ones) for the glue's core count. */
function reportCores(count: number): void {
  restoreCores();
  const cpus = os.cpus;
  realCpus = cpus;
  os.cpus = () => {
    const real = cpus();
    const first = real[0];
    return real.length >= count || first === undefined
      ? real
      : [...real, ...Array.from({ length: count - real.length }, () => ({ ...first }))];
  };
}

function restoreCores(): void {
  if (realCpus) os.cpus = realCpus;
  realCpus = undefined;
}

function threadsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const value = env[WASM_THREADS_ENV];
  return value ? Number(value) : undefined;
}

/** This project's TypeScript libs declare no WebAssembly global; Node has had it since v8. */
const wasmApi = (globalThis as unknown as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

function validates(bytes: Uint8Array): boolean {
  try {
    return wasmApi?.validate(bytes) ?? false;
  } catch {
    return false;
  }
}

/** The worker script text and the unbundled glue path, from the package's wasm-out folder. */
function packageFiles(): { worker: string; glue: string } {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  const folder = path.join(path.dirname(main), '..', 'wasm-out');
  const glue = path.join(folder, GLUE_SCRIPT);
  const workerFile = path.join(folder, WORKER_SCRIPT);
  for (const file of [glue, workerFile]) {
    if (!existsSync(file)) throw new Error(`${file} is missing (it ships in @tensorflow/tfjs-backend-wasm: reinstall it)`);
  }
  const { wasmWorkerContents } = require(workerFile) as { wasmWorkerContents?: unknown };
  if (typeof wasmWorkerContents !== 'string') throw new Error(`${workerFile} does not export the pthread worker script`);
  // Its "\n" escapes became newlines inside string literals; tfjs undoes that the same way before making its Blob.
  return { worker: wasmWorkerContents.replace(/\n/g, '\\n'), glue };
}

/**
 * The worker script is CommonJS (it calls require), but an eval'd worker inherits the process's flags, and
 * --input-type=module (as in `node --input-type=module -e ...`) would make it an ES module.
 */
function commonJsExecArgv(): string[] {
  const flags = [...process.execArgv];
  const at = flags.findIndex((flag) => flag === '--input-type' || flag.startsWith('--input-type='));
  if (at !== -1) flags.splice(at, flags[at] === '--input-type' ? 2 : 1);
  return flags;
}

const shimmed = Symbol.for('tributary.wasmThreadsWorker');

/** A Worker that Emscripten's pthread code can start in Node from tfjs's browser-only arguments. */
function installWorkerShim(files: { worker: string; glue: string }): void {
  if ((globalThis as Record<symbol, unknown>)[shimmed]) return;
  class PthreadWorker extends NodeWorker {
    #onerror: ((error: Error) => void) | undefined;
    /** The threaded start this pthread worker belongs to; none for any other worker. */
    readonly #start: ThreadedStart | null;

    constructor(script: string | URL, options?: WorkerOptions) {
      // Only tfjs's pthread worker arrives as a blob: URL, which Node's Worker cannot load.
      const blob = typeof script === 'string' && script.startsWith('blob:');
      const pthread = starting?.fault ? FAULTY_WORKER : files.worker;
      super(blob ? pthread : script, blob ? { ...options, eval: true, execArgv: commonJsExecArgv() } : options);
      this.#start = blob ? starting : null;
      if (!this.#start) return;
      // Emscripten listens for errors only once the module is compiled: an error before that would go unhandled.
      this.on('error', (error) => this.#failed(error));
      this.once('exit', (code) => this.#failed(new Error(`a pthread worker exited with code ${code} before the backend started`)));
    }

    /** Emscripten's handler rethrows, which would end this thread: before its start has succeeded, the failure is reported instead. */
    get onerror(): (error: Error) => void {
      return (error) => (this.#failed(error) ? undefined : this.#onerror?.(error));
    }

    set onerror(handler: (error: Error) => void) {
      this.#onerror = handler;
    }

    /** Reports a failure of a pthread worker whose start has not succeeded (true), or leaves it to Emscripten (false). */
    #failed(error: Error): boolean {
      if (!this.#start || this.#start.started) return false;
      this.#start.fail(error);
      return true;
    }

    override postMessage(message: unknown, transfer?: Parameters<NodeWorker['postMessage']>[1]): void {
      const load = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
      if (load?.cmd === 'load' && typeof load.urlOrBlob !== 'string') message = { ...load, urlOrBlob: files.glue };
      super.postMessage(message, transfer);
    }
  }
  // The glue assigns globalThis.Worker = worker_threads.Worker every time it starts: the setter keeps ours instead.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PthreadWorker, set: () => undefined });
  Object.defineProperty(globalThis, shimmed, { value: true });
}
