// Runs in the training thread: chooses among the backends that start by timing a few training steps of the model on each, cached per model and machine.
import type * as tfjs from '@tensorflow/tfjs';
import { DataGenerator, makeBatch } from '../../data/data-generator.js';
import type { Batch, SampleShape } from '../../data/types.js';
import { defaultProbeCacheFile, probeKey, readProbeCache, writeProbeCache, cachedProbe } from '../backend-cache.js';
import { startBackend, untriedBackends } from '../backend.js';
import type { BackendName, BackendProbe, BackendReport, ProbeRate, SelectBackendOptions, StartedBackend, Tf } from '../backend.js';
import { splitmix32 } from '../../data/shuffle.js';
import { trainEpochs } from './trainer.js';

export interface ProbeLimits {
  /** Timed steps per backend at most, after its one warm-up step. */
  steps: number;
  /** Timed steps per backend at least, unless its warm-up step already showed it far slower. */
  minSteps: number;
  /** Once every backend has minSteps, no further round starts after this long. */
  budgetMs: number;
  /** A backend whose warm-up step took this many times the fastest one's is not timed further. */
  cutoff: number;
}

/**
 * Under a second on the MNIST CNN at batch 64 (two backends); a model whose step takes seconds stops at minSteps. The
 * cutoff leaves room for first steps that differ: tensorflow's first MNIST step took 3.9x its next ones here (oneDNN
 * makes its kernels for each new shape), wasm's 1.6x; on a ResNet-style model at 64x64 wasm's first step took 10x
 * tensorflow's, so wasm is not timed further there.
 */
export const PROBE_LIMITS: ProbeLimits = { steps: 4, minSteps: 2, budgetMs: 500, cutoff: 4 };

export interface ProbeTarget {
  /** Builds the compiled model on the current backend. */
  build: () => Promise<tfjs.LayersModel>;
  sampleShape: SampleShape;
  numClasses: number;
  batchSize: number;
}

interface Contender {
  name: BackendName;
  model: tfjs.LayersModel;
  warmSeconds: number;
  steps: number[];
}

/**
 * Trains `names` (each started already) alternately, one step each in turn, so that a load on a shared machine falls on
 * all of them alike: one warm-up step each (allocations, first kernel calls), then timed steps. A step is the trainer's
 * own (trainEpochs over a one-batch generator), so the probe times what training runs. Fastest first; the current
 * backend afterwards is unspecified.
 */
export async function measureBackends(
  tf: Tf,
  names: readonly BackendName[],
  target: ProbeTarget,
  limits = PROBE_LIMITS,
): Promise<ProbeRate[]> {
  const batch = new SyntheticBatch(target);
  const contenders: Contender[] = [];
  try {
    for (const name of names) {
      await tf.setBackend(name);
      const model = await target.build();
      contenders.push({ name, model, warmSeconds: 0, steps: [] });
      contenders.at(-1)!.warmSeconds = await timedStep(tf, model, batch);
    }
    const fastestWarm = Math.min(...contenders.map((c) => c.warmSeconds));
    const timed = contenders.filter((c) => c.warmSeconds <= limits.cutoff * fastestWarm);
    const started = performance.now();
    for (let round = 0; round < limits.steps; round++) {
      if (round >= limits.minSteps && performance.now() - started > limits.budgetMs) break;
      for (const contender of timed) {
        await tf.setBackend(contender.name);
        contender.steps.push(await timedStep(tf, contender.model, batch));
      }
    }
  } finally {
    for (const { model } of contenders) {
      // Compiled with an optimizer object, which the model does not own: its moments would outlive it.
      model.optimizer.dispose();
      model.dispose();
    }
  }
  return contenders.map((c) => rateOf(c, target.batchSize)).sort((a, b) => b.samplesPerSec - a.samplesPerSec);
}

/** The median step, against a noisy neighbour's burst; a backend cut after its warm-up is rated by that step (its rate is at least this). */
function rateOf({ name, warmSeconds, steps }: Contender, batchSize: number): ProbeRate {
  const sorted = [...steps].sort((a, b) => a - b);
  const seconds = sorted.length === 0 ? warmSeconds : (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2;
  return { name, samplesPerSec: batchSize / seconds, steps: steps.length };
}

async function timedStep(tf: Tf, model: tfjs.LayersModel, generator: DataGenerator): Promise<number> {
  const started = performance.now();
  await trainEpochs(tf, model, generator, { epochs: 1 });
  return (performance.now() - started) / 1000;
}

/**
 * One batch of the data's shape, dtype and batch size, of seeded values in [0, 1) with every class present. Not a batch
 * of the data: reading one would decode files (timing the disk, not the backend) and the kernels' speed does not depend
 * on the values; nor does the train split's state (its epoch, its decode threads) change.
 */
class SyntheticBatch extends DataGenerator {
  readonly sampleCount: number;
  readonly classNames: readonly string[];
  readonly sampleShape: SampleShape;
  readonly #batch: Batch;

  constructor({ sampleShape, numClasses, batchSize }: ProbeTarget) {
    super({ batchSize, shuffle: false });
    this.sampleCount = batchSize;
    this.sampleShape = sampleShape;
    this.classNames = Array.from({ length: numClasses }, (_, c) => String(c));
    const next = splitmix32(1);
    const x = new Float32Array(batchSize * sampleShape.height * sampleShape.width * sampleShape.channels);
    for (let i = 0; i < x.length; i++) x[i] = next() / 2 ** 32;
    const labels = Int32Array.from({ length: batchSize }, (_, i) => i % numClasses);
    const indices = Uint32Array.from({ length: batchSize }, (_, i) => i);
    this.#batch = makeBatch({ x, shape: sampleShape, indices, labels, numClasses });
  }

  protected async loadSamples(): Promise<Batch> {
    return this.#batch;
  }

  describeSample(index: number): string {
    return `synthetic sample ${index}`;
  }
}

export interface ChooseOptions {
  /** The model as built on the backend selectBackend chose: its signature keys the cache. */
  model: tfjs.LayersModel;
  target: ProbeTarget;
  /** How selectBackend was called, to start the other backends alike. */
  select?: SelectBackendOptions;
  cacheFile?: string;
  limits?: ProbeLimits;
}

/**
 * Where selectBackend chose without a request and a faster backend was left untried: the probe's choice, from the cache
 * when this model and batch were measured on this machine before, else measured now (and cached). The report is
 * updated (its name, the probe's rates, any backend started for it) and the chosen backend is current afterwards. True
 * when the model must be built again: on another backend, or after a probe (which drew on the seeded Math.random).
 */
export async function chooseBackend(report: BackendReport, options: ChooseOptions): Promise<boolean> {
  const untried = untriedBackends(report);
  if (untried.length === 0) return false;
  const { model, target, select = {}, cacheFile = defaultProbeCacheFile(), limits } = options;
  const first = report.name;
  const key = probeKey({ model, sampleShape: target.sampleShape, batchSize: target.batchSize }, report, select.env ?? process.env);
  const cache = await readProbeCache(cacheFile);
  const hit = cache.entries.find((entry) => entry.key === key);
  const started = new Map<BackendName, StartedBackend>();
  let probe: BackendProbe;
  let problem = cache.problem;
  if (hit) {
    probe = cachedProbe(hit);
  } else {
    // Timed from here: starting the other backends is part of what the probe costs.
    const begun = performance.now();
    for (const name of untried) {
      const backend = await startBackend(report, name, select);
      if (backend) started.set(name, backend);
    }
    if (started.size === 0) return restore(report, first, problem);
    let rates: ProbeRate[];
    try {
      rates = await measureBackends(report.tf, [first, ...started.keys()], target, limits);
    } catch (error) {
      const failed = `the backend probe failed (${error instanceof Error ? error.message : String(error)}), so ${first} stays`;
      await restore(report, first, problem === undefined ? failed : `${problem}; ${failed}`);
      return true;
    }
    probe = { rates, measuredAt: new Date().toISOString(), ms: Math.round(performance.now() - begun), cached: false };
    const about = `${model.name}, ${target.sampleShape.height}x${target.sampleShape.width}x${target.sampleShape.channels}, batch ${target.batchSize}`;
    const unwritten = await writeProbeCache(cacheFile, cache.entries, { key, about, rates, measuredAt: probe.measuredAt, ms: probe.ms });
    problem ??= unwritten;
  }
  report.probe = probe;
  const winner = probe.rates[0]!.name;
  if (winner !== first) {
    const backend = started.get(winner) ?? (await startBackend(report, winner, select));
    if (backend) switchTo(report, winner, backend);
  }
  await restore(report, report.name, problem);
  return !hit || report.name !== first;
}

function switchTo(report: BackendReport, name: BackendName, { selfTest, warning }: StartedBackend): void {
  report.name = name;
  if (selfTest) report.selfTest = selfTest;
  if (warning !== undefined) report.warning = warning;
  else delete report.warning;
}

async function restore(report: BackendReport, name: BackendName, problem: string | undefined): Promise<false> {
  if (problem !== undefined) report.probeProblem = problem;
  await report.tf.setBackend(name);
  return false;
}
