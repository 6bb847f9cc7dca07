// Runs where training runs (plain Node): picks the fastest tfjs backend that works on this machine and says why the faster ones were not used.
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as TfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { BACKENDS } from '../../common/training-config.js';
import type { BackendName } from '../../common/training-config.js';
import { registerTrainingGradients } from './gradients/index.js';
import type * as Kernels from './kernels/index.js';
import type * as KernelSelfTest from './kernels/self-test.js';
import { disableWasmThreads, enableWasmThreads, finishWasmThreads } from './wasm-threads.js';
import type { WasmThreadsSetup } from './wasm-threads.js';

/** The one tfjs instance of the process: the engine and the data bridge must share it, or tensors cannot cross. */
export type Tf = typeof tf;
export type { BackendName };

export const BACKEND_ENV = 'TRIBUTARY_BACKEND';

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was not used, in words an operator can act on. */
  reason?: string;
  ms: number;
}

export interface BackendReport {
  tf: Tf;
  name: BackendName;
  /** Every backend tried, in order: those selectBackend tried (the last is the one it started), then any started for the probe. */
  tried: BackendAttempt[];
  /** The backend asked for by `prefer` or by TRIBUTARY_BACKEND, if any. */
  requested?: { name: BackendName; by: 'prefer' | typeof BACKEND_ENV };
  /** `singleThreaded` says why wasm runs on one thread, when it does. */
  wasm?: { simd: boolean; threads: number; singleThreaded?: string };
  /** The TensorFlow C library that tfjs-node's binding runs on. */
  tensorflow?: { version: string };
  /** The last backend's training gradients checked against the cpu backend's kernels before it is trusted with training. */
  selfTest?: KernelSelfTest.GradientSelfTest;
  /** Set when training will be slow (the cpu backend, wasm without its threads): log it at warn level and show it in the UI. */
  warning?: string;
  /** The timed probe that chose among the backends that start (backend-probe.ts): absent when one was requested or only one starts. */
  probe?: BackendProbe;
  /** Why the probe or its cache did not work as it should (an unreadable cache file, a probe that failed): training goes on regardless. */
  probeProblem?: string;
  /** How a training step runs on tensorflow, once the model is built: `step: one TensorFlow graph` or `step: eager (why)` (graph/step-choice.ts). */
  step?: string;
}

/** One backend's training speed on the model and batch being trained, as the probe measured it. */
export interface ProbeRate {
  name: BackendName;
  samplesPerSec: number;
  /** Timed steps after the warm-up; 0 when the backend was so much slower in its first step that it was not timed further. */
  steps: number;
  /** That first step's samples, when it was a scout of part of the batch (a long step is not taken whole on a backend that is far slower). */
  samples?: number;
}

export interface BackendProbe {
  /** Fastest first. */
  rates: ProbeRate[];
  /** When the rates were measured (ISO 8601), and how long the probe took. */
  measuredAt: string;
  ms: number;
  /** True when the rates came from the cache of an earlier probe on this machine, not from this run. */
  cached: boolean;
}

export interface SelectBackendOptions {
  /** From the party config or a CLI flag; TRIBUTARY_BACKEND wins over it so an operator can override a config without editing it. */
  prefer?: BackendName;
  /** wasm threads, from the party config; TRIBUTARY_WASM_THREADS wins over it. Default: every core. */
  threads?: number;
  env?: NodeJS.ProcessEnv;
}

const TFJS_NODE = '@tensorflow/tfjs-node';
/** The offline install of tfjs-node (docs/engine.md): for the words of a reason, so an operator knows what to run. */
const BUILD_SCRIPT = 'scripts/build-tfjs-node.sh';
const TFJS_WASM = '@tensorflow/tfjs-backend-wasm';
const CPU_WARNING = 'the cpu backend is plain JavaScript (about 2 samples/s on an MNIST CNN): training will be very slow';
const THREADS_WARNING = 'wasm threads failed to start, so training uses one core';

type Outcome = Pick<BackendReport, 'wasm' | 'tensorflow' | 'selfTest' | 'warning'> & { reason?: string };

/**
 * Tries tensorflow (native), then wasm, then cpu, or the requested backend first. A requested backend that fails
 * is reported and the usual order follows. Throws only on a bad TRIBUTARY_BACKEND or `prefer` value.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendReport> {
  silenceCpuBanner();
  // Before any self-test, so that the gradients every backend is checked and trained with are the ones it will use.
  registerTrainingGradients(tf);
  const requested = requestedBackend(options);
  const order = requested ? [requested.name, ...BACKENDS.filter((name) => name !== requested.name)] : BACKENDS;
  const report: Omit<BackendReport, 'name'> = { tf, tried: [], ...(requested && { requested }) };
  for (const name of order) {
    const outcome = await attempt(report, name, options);
    if (outcome.reason !== undefined) continue;
    const warning = outcome.warning ?? (name === 'cpu' ? CPU_WARNING : undefined);
    return { ...report, name, ...(warning !== undefined && { warning }) };
  }
  throw new Error('no tfjs backend started, not even cpu');
}

/**
 * The faster backends selectBackend did not try because it stopped at the first that started: what the probe may
 * still measure against the one chosen. None when a backend was requested (an explicit choice is not second-guessed) or
 * when only cpu started (nothing else does).
 */
export function untriedBackends(report: BackendReport): BackendName[] {
  if (report.requested || report.name === 'cpu') return [];
  return BACKENDS.filter((name) => name !== 'cpu' && !report.tried.some((tried) => tried.name === name));
}

/** What switching the report to a backend started by startBackend takes: its self-test and warning replace the first one's. */
export type StartedBackend = Pick<BackendReport, 'selfTest' | 'warning'>;

/**
 * Starts one more backend beside the chosen one, for the probe (it becomes the current backend; the caller switches
 * back). The attempt goes into report.tried, so a failure is reported like selectBackend's; the chosen backend's
 * name, self-test and warning stay. Undefined when it did not start.
 */
export async function startBackend(
  report: BackendReport,
  name: BackendName,
  options: SelectBackendOptions = {},
): Promise<StartedBackend | undefined> {
  const { selfTest } = report;
  const outcome = await attempt(report, name, options);
  if (selfTest) report.selfTest = selfTest;
  else delete report.selfTest;
  if (outcome.reason !== undefined) return undefined;
  return { ...(outcome.selfTest && { selfTest: outcome.selfTest }), ...(outcome.warning !== undefined && { warning: outcome.warning }) };
}

async function attempt(report: Omit<BackendReport, 'name'>, name: BackendName, options: SelectBackendOptions): Promise<Outcome> {
  const started = performance.now();
  const outcome = await START[name](options.env ?? process.env, options.threads);
  const ms = Math.round((performance.now() - started) * 10) / 10;
  report.tried.push({ name, ok: outcome.reason === undefined, ...(outcome.reason !== undefined && { reason: outcome.reason }), ms });
  if (outcome.wasm) report.wasm = outcome.wasm;
  if (outcome.tensorflow) report.tensorflow = outcome.tensorflow;
  if (outcome.selfTest) report.selfTest = outcome.selfTest;
  return outcome;
}

/** One line for the CLI and the log: the backend in use, then why each faster one was not used. */
export function describeBackend(report: BackendReport): string {
  const details: string[] = [];
  if (report.name === 'tensorflow' && report.tensorflow) details.push(`TensorFlow ${report.tensorflow.version}`);
  if (report.step) details.push(report.step);
  if (report.name === 'wasm' && report.wasm) {
    const { simd, threads, singleThreaded } = report.wasm;
    details.push(
      `${simd ? 'simd' : 'no simd'}, ${threads} thread${threads === 1 ? '' : 's'}${singleThreaded ? `: ${singleThreaded}` : ''}`,
    );
  }
  if (report.requested?.name === report.name) details.push(requestedWords(report.requested));
  if (report.probe) details.push(probeWords(report.probe));
  const head = `backend: ${report.name}${details.length ? ` (${details.join('; ')})` : ''}`;
  const failures = report.tried
    .filter((attempt) => !attempt.ok)
    .map((attempt) => {
      const asked = report.requested?.name === attempt.name ? ` (${requestedWords(report.requested)})` : '';
      return `${attempt.name}${asked} not used: ${attempt.reason}`;
    });
  const problem = report.probeProblem === undefined ? [] : [`warning: ${report.probeProblem}`];
  return [head, ...failures, ...problem].join('; ');
}

/** `probe: tensorflow 48 samples/s, wasm 9 samples/s in 1.3 s`, or `..., cached 2026-12-06` when an earlier probe measured them. */
function probeWords({ rates, cached, measuredAt, ms }: BackendProbe): string {
  const each = rates.map(({ name, samplesPerSec, steps, samples }) => {
    const untimed = samples === undefined ? ' (first step only)' : ` (first step only, ${samples} samples)`;
    return `${name} ${rateWords(samplesPerSec)} samples/s${steps === 0 ? untimed : ''}`;
  });
  const when = cached ? `cached ${measuredAt.slice(0, 10)}` : `in ${(ms / 1000).toFixed(1)} s`;
  return `probe: ${each.join(', ')}, ${when}`;
}

function rateWords(samplesPerSec: number): string {
  return samplesPerSec >= 10 ? String(Math.round(samplesPerSec)) : samplesPerSec.toPrecision(2);
}

/** Plain words for a failed `import('@tensorflow/tfjs-node')`: absent, or present without its native library. */
export function explainTfjsNodeFailure(error: unknown): string {
  const message = firstLine(error);
  if (message.includes(`'${TFJS_NODE}'`) || message.includes(`"${TFJS_NODE}"`)) {
    return `${TFJS_NODE} is not installed (its install downloads libtensorflow; without internet: ${BUILD_SCRIPT})`;
  }
  if (/tfjs_binding|libtensorflow/.test(message)) {
    return `${TFJS_NODE} is installed but its native library did not load (run ${BUILD_SCRIPT}): ${message}`;
  }
  return `${TFJS_NODE} failed to load: ${message}`;
}

/**
 * Loads tfjs-node, which registers the 'tensorflow' backend with this process's tfjs (and makes it current: tfjs-node
 * does so as it loads); undefined when it did, else why not. The tests use it to tell whether tensorflow is here.
 */
export async function loadTfjsNode(): Promise<string | undefined> {
  try {
    // The specifier is a variable so that TypeScript does not resolve it: the package is optional and often absent.
    await import(TFJS_NODE);
  } catch (error) {
    return explainTfjsNodeFailure(error);
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    return `${TFJS_NODE} loaded but registered its backend with another copy of @tensorflow/tfjs-core (pin both to ${tf.version.tfjs})`;
  }
  return undefined;
}

function requestedBackend({ prefer, env = process.env }: SelectBackendOptions): BackendReport['requested'] {
  const fromEnv = env[BACKEND_ENV];
  if (fromEnv) return { name: checkName(fromEnv, `${BACKEND_ENV}=${fromEnv}`), by: BACKEND_ENV };
  if (prefer !== undefined) return { name: checkName(prefer, `prefer: ${JSON.stringify(prefer)}`), by: 'prefer' };
  return undefined;
}

function checkName(value: string, where: string): BackendName {
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(
    `${where} is not a tfjs backend: use one of ${BACKENDS.join(', ')}${where.startsWith(BACKEND_ENV) ? ', or unset it to choose automatically' : ''}`,
  );
}

function requestedWords(requested: NonNullable<BackendReport['requested']>): string {
  return requested.by === BACKEND_ENV ? `requested by ${BACKEND_ENV}` : 'requested';
}

/**
 * tfjs's cpu backend prints a "Hi, looks like you are running TensorFlow.js in Node.js ... install our node backend"
 * banner with its first tensor (the wasm self-test's reference, or a fallback). Whether tfjs-node loaded, and why not,
 * is reported already in plain words; the banner would only clutter the CLI's output and the log.
 */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as (tf.KernelBackend & { firstUse?: boolean }) | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

/** For a process that computes nothing heavy with tfjs (the aggregator builds a model once): the cpu backend, without its banner. */
export async function useQuietCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  silenceCpuBanner();
}

const START: Record<BackendName, (env: NodeJS.ProcessEnv, threads?: number) => Promise<Outcome>> = {
  async tensorflow() {
    const notLoaded = await loadTfjsNode();
    if (notLoaded !== undefined) return { reason: notLoaded };
    if (!(await tf.setBackend('tensorflow')) || tf.getBackend() !== 'tensorflow') {
      return { reason: `${TFJS_NODE} loaded but its backend did not start (tfjs logged why above)` };
    }
    const version = (tf.backend() as tf.KernelBackend & { binding?: { TF_Version?: unknown } }).binding?.TF_Version;
    // Its binding may be built against another TensorFlow than the one tfjs-node was released with (the offline build is).
    return { ...(typeof version === 'string' && { tensorflow: { version } }), ...(await trustGradients()) };
  },

  async wasm(env, wantedThreads) {
    let wasm: typeof TfjsWasm;
    let folder: string;
    try {
      wasm = await import('@tensorflow/tfjs-backend-wasm');
      folder = await wasmFolder();
      wasm.setWasmPaths(folder);
    } catch (error) {
      return { reason: `${TFJS_WASM} did not load: ${firstLine(error)}` };
    }
    // XNNPACK's thread pool, which tfjs turns off in Node (see wasm-threads.ts); TRIBUTARY_WASM_THREADS=1 keeps it off.
    const { started, singleThreaded, threadsFailed } = await startWasm(wasm, enableWasmThreads(tf, wasm, wantedThreads, env));
    if (!started) return { reason: `the wasm backend did not start from ${folder} (tfjs logged why above)` };
    const threads = wasm.getThreadsCount();
    const info = {
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      threads,
      // A backend started earlier in this thread is reused as it is, threads and all.
      ...(singleThreaded !== undefined && threads === 1 && { singleThreaded }),
    };
    let kernels: typeof Kernels;
    try {
      kernels = await import('./kernels/index.js');
    } catch (error) {
      // tfjs-backend-wasm 4.22 ships without Conv2DBackpropFilter and friends: without ours a CNN cannot train on it.
      return { wasm: info, reason: `its gradient kernels did not load, so a CNN cannot train on it: ${firstLine(error)}` };
    }
    try {
      kernels.registerWasmTrainingKernels(tf);
    } catch (error) {
      return { wasm: info, reason: `its gradient kernels could not be registered: ${firstLine(error)}` };
    }
    const trusted = await trustGradients();
    return { wasm: info, ...trusted, ...(trusted.reason === undefined && threadsFailed && { warning: THREADS_WARNING }) };
  },

  async cpu() {
    return (await tf.setBackend('cpu')) ? {} : { reason: 'the cpu backend did not start' };
  },
};

/** The current backend's training gradients against the cpu backend's kernels: the self-test, and why it failed if it did. */
async function trustGradients(): Promise<Pick<Outcome, 'selfTest' | 'reason'>> {
  let selfTest: KernelSelfTest.GradientSelfTest;
  try {
    selfTest = (await import('./kernels/self-test.js')).selfTestGradients(tf);
  } catch (error) {
    return { reason: `its gradient self-test could not run: ${firstLine(error)}` };
  }
  if (selfTest.error !== undefined) return { selfTest, reason: `its gradients could not be computed: ${selfTest.error}` };
  if (!selfTest.ok) {
    return {
      selfTest,
      reason: `its gradient self-test failed (largest relative error ${selfTest.maxRelError.toExponential(1)} against cpu)`,
    };
  }
  return { selfTest };
}

/**
 * Starts the threaded build when threads were set up, else the single-threaded one; falls back to the latter when the
 * threaded build does not start or its pthread workers fail, saying why.
 */
async function startWasm(
  wasm: typeof TfjsWasm,
  threads: WasmThreadsSetup,
): Promise<{ started: boolean; singleThreaded?: string; threadsFailed?: boolean }> {
  if (!threads.ok) return { started: await tf.setBackend('wasm'), ...(threads.reason !== undefined && { singleThreaded: threads.reason }) };
  const threaded = await Promise.race([tf.setBackend('wasm'), threads.failed!]);
  if (threaded === true) {
    finishWasmThreads(tf);
    return { started: true };
  }
  disableWasmThreads(tf, wasm);
  const why =
    threaded === false ? 'the threaded build did not start' : `the threaded build's workers failed to start (${firstLine(threaded)})`;
  return { started: await tf.setBackend('wasm'), singleThreaded: why, threadsFailed: true };
}

/** The package's dist folder, as the file path with a trailing separator that setWasmPaths wants; every binary must be there. */
async function wasmFolder(): Promise<string> {
  const folder = path.dirname(createRequire(import.meta.url).resolve(TFJS_WASM)) + path.sep;
  for (const binary of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    await access(folder + binary).catch(() => {
      throw new Error(`${folder + binary} is missing (the .wasm files ship in the package: reinstall it)`);
    });
  }
  return folder;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0]!.trim();
}
