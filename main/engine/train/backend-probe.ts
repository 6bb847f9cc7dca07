// Runs in the training thread: chooses among the backends that start by timing a few training steps of the model on each, cached per model and machine.
import type * as tfjs from '@tensorflow/tfjs';
import { DataGenerator, makeBatch } from '../../data/data-generator.js';
import { describeShape, sampleValues } from '../../data/sample-shape.js';
import type { Batch, SampleShape } from '../../data/types.js';
import { defaultProbeCacheFile, probeKey, readProbeCache, writeProbeCache, cachedProbe } from '../backend-cache.js';
import { startBackend, untriedBackends } from '../backend.js';
import type { BackendName, BackendProbe, BackendReport, ProbeRate, SelectBackendOptions, StartedBackend, Tf } from '../backend.js';
import { splitmix32 } from '../../data/shuffle.js';
import { trainEpochs } from './trainer.js';

export interface ProbeLimits {
  /** Timed steps per backend at most, after its one warm-up step. */
  steps: number;
  /** Timed steps per backend at least, unless its first step already showed it far slower. */
  minSteps: number;
  /** Once every backend has minSteps, no further round starts after this long. */
  budgetMs: number;
  /** Another backend whose first step took this many times the first backend's median step (per sample) is not timed further. */
  cutoff: number;
  /** When the first backend's median step takes this long, another's first step is a scout of 1/scoutFraction of the batch. */
  scoutAfterMs: number;
  scoutFraction: number;
}

/**
 * Under a second on the MNIST CNN at batch 64 (two backends); a model whose step takes seconds stops at minSteps. The
 * cutoff leaves room for a first step slower than the next ones (wasm's first MNIST step took 1.6x its next ones here),
 * so a backend is cut only when it is clearly slower. The scout keeps a slow backend from costing a whole batch: on a
 * ResNet-style CNN at 64x64, batch 32, a wasm step took 4-5 s on an idle machine, a scout of 4 samples a fraction of it.
 */
export const PROBE_LIMITS: ProbeLimits = { steps: 4, minSteps: 2, budgetMs: 500, cutoff: 4, scoutAfterMs: 250, scoutFraction: 8 };

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
  /** Its first step, untimed in the rate unless it is all there is (then `cut`), and how many samples it had. */
  first: { seconds: number; samples: number };
  steps: number[];
  cut: boolean;
}

/**
 * Times `names` (each started already; the first is the one selectBackend chose) on the model. The first backend goes
 * alone: a warm-up step (allocations, first kernel calls) and minSteps timed steps. Each other one then takes a first
 * step (a scout of part of the batch when a step is long) and is not timed further when that step per sample took more
 * than `cutoff` times the first backend's; the rest take timed steps in turn with the first, so that a load on a shared
 * machine falls on all of them alike. A step is the trainer's own (trainEpochs over a one-batch generator), so the probe
 * times what training runs. Fastest first; the current backend afterwards is unspecified.
 */
export async function measureBackends(
  tf: Tf,
  names: readonly BackendName[],
  target: ProbeTarget,
  limits = PROBE_LIMITS,
): Promise<ProbeRate[]> {
  const full = new SyntheticBatch(target, target.batchSize);
  const contenders: Contender[] = [];
  try {
    const [leaderName, ...others] = names;
    const leader = await enter(tf, contenders, leaderName!, target, full);
    for (let i = 0; i < limits.minSteps; i++) leader.steps.push(await timedStep(tf, leader.model, full));
    const perSample = median(leader.steps) / target.batchSize;
    const scouting = median(leader.steps) * 1000 >= limits.scoutAfterMs && target.batchSize > 1;
    const scout = scouting ? new SyntheticBatch(target, Math.ceil(target.batchSize / limits.scoutFraction)) : full;
    for (const name of others) {
      const contender = await enter(tf, contenders, name, target, scout);
      contender.cut = contender.first.seconds / contender.first.samples > limits.cutoff * perSample;
      if (!contender.cut && scout !== full) await timedStep(tf, contender.model, full); // its warm-up at the whole batch
    }
    const timed = contenders.filter((c) => !c.cut);
    const started = performance.now();
    for (let round = 0; round < limits.steps; round++) {
      if (round >= limits.minSteps && performance.now() - started > limits.budgetMs) break;
      for (const contender of timed.filter((c) => c.steps.length <= round)) {
        await tf.setBackend(contender.name);
        contender.steps.push(await timedStep(tf, contender.model, full));
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

/** Makes `name` current, builds the model on it and takes its first step on `batch`. */
async function enter(tf: Tf, contenders: Contender[], name: BackendName, target: ProbeTarget, batch: SyntheticBatch): Promise<Contender> {
  await tf.setBackend(name);
  const model = await target.build();
  const contender: Contender = { name, model, first: { seconds: 0, samples: batch.sampleCount }, steps: [], cut: false };
  contenders.push(contender);
  contender.first.seconds = await timedStep(tf, model, batch);
  return contender;
}

/** The median step, against a noisy neighbour's burst; a backend cut after its first step is rated by that step (its rate is at least this). */
function rateOf({ name, first, steps, cut }: Contender, batchSize: number): ProbeRate {
  if (cut)
    return { name, samplesPerSec: first.samples / first.seconds, steps: 0, ...(first.samples < batchSize && { samples: first.samples }) };
  return { name, samplesPerSec: batchSize / median(steps), steps: steps.length };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2;
}

async function timedStep(tf: Tf, model: tfjs.LayersModel, generator: DataGenerator): Promise<number> {
  const started = performance.now();
  await trainEpochs(tf, model, generator, { epochs: 1 });
  return (performance.now() - started) / 1000;
}

/**
 * One batch of the data's shape and dtype (of the train split's batch size, or a scout's part of it), of seeded values
 * in [0, 1) with every class present. Not a batch of the data: reading one would decode files (timing the disk, not the
 * backend) and the kernels' speed does not depend on the values; nor does the train split's state (its epoch, its
 * decode threads) change.
 */
class SyntheticBatch extends DataGenerator {
  readonly sampleCount: number;
  readonly classNames: readonly string[];
  readonly sampleShape: SampleShape;
  readonly #batch: Batch;

  constructor({ sampleShape, numClasses }: ProbeTarget, batchSize: number) {
    super({ batchSize, shuffle: false });
    this.sampleCount = batchSize;
    this.sampleShape = sampleShape;
    this.classNames = Array.from({ length: numClasses }, (_, c) => String(c));
    const next = splitmix32(1);
    const x = new Float32Array(batchSize * sampleValues(sampleShape));
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
    const about = `${model.name}, ${describeShape(target.sampleShape)}, batch ${target.batchSize}`;
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
