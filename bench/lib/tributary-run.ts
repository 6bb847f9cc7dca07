// Runs as a child process of bench:train: one Tributary training run (its own process, so its peak RSS and CPU time are its own), one JSON line out.
import type { BackendChoice } from '../../common/training-config.js';
import { TRAIN_STEP_ENV } from '../../main/engine/graph/step-choice.js';
import type { OpenOptions } from '../../main/engine/train/runner.js';
import { TrainingRunner } from '../../main/engine/train/runner.js';
import type { TrainProgress } from '../../main/engine/train/trainer.js';
import { checkWeights } from '../../main/engine/weights.js';
import { readInitWeights, writeInitWeights, writeTrainOrder } from './init-weights.js';

/** What the parent asks for, as the one argument (JSON). */
export type RunRequest =
  | {
      mode: 'params';
      configFile: string;
      model: OpenOptions['model'];
      /** Where the built model's initial weights are written (init-weights.ts), for every timed run to start from. */
      weightsOut?: string;
      /** Where the records of the first `orderSamples` training samples are written, in Tributary's order, for the references. */
      orderOut?: string;
      orderSamples?: number;
    }
  | {
      mode: 'steps';
      configFile: string;
      model: OpenOptions['model'];
      backend: BackendChoice;
      /** Forces tfjs's eager step on tensorflow instead of the one-graph step. */
      step?: 'eager';
      steps: number;
      warmup: number;
      lossAt: number;
      /** Initial weights to start from instead of the model's own (init-weights.ts): the references load the same file. */
      initWeights?: string;
    }
  | {
      mode: 'epochs';
      configFile: string;
      model: OpenOptions['model'];
      backend: BackendChoice;
      epochs: number;
      targetAccuracy: number | null;
    };

export interface ParamsResult {
  parameters: number;
  /** The backend Tributary chose on its own (no override), with its report line. */
  backend: string;
  description: string;
}

/** What every timed run measures, Tributary's and the references' alike (the report reads both through this). */
export interface StepsMeasurement {
  parameters: number;
  samples_per_s: number;
  cpu_cores: number;
  loss_at: number;
  test_acc: number;
  test_samples: number;
  train_peak_rss_mb: number;
  peak_rss_mb: number;
}

export interface StepsResult extends StepsMeasurement {
  backend: string;
  description: string;
  /** Steps trained in all: `steps`, as the runner's maxSteps caps them. */
  trained_steps: number;
}

export interface EpochsResult {
  backend: string;
  description: string;
  samples: number;
  epochs: { seconds: number; samples_per_s: number; test_acc: number }[];
  peak_rss_mb: number;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 102.4) / 10; // maxRSS is in KiB
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

async function open(runner: TrainingRunner, request: RunRequest) {
  const backend = request.mode === 'params' ? undefined : request.backend;
  const opened = await runner.open({ configFile: request.configFile, model: request.model, ...(backend && { backend }) });
  if (backend && backend !== 'auto' && opened.backend.name !== backend) throw new Error(`not available: ${opened.backend.description}`);
  return opened;
}

/** Sets the model's weights to the file's, checked against the model's own names and shapes. */
async function startFrom(runner: TrainingRunner, base: string): Promise<void> {
  const slots = (await runner.getWeights()).map(({ name, shape }) => ({ name, shape }));
  await runner.setWeights(checkWeights(await readInitWeights(base), slots));
}

/** Train `steps` batches; wall and process CPU time from the warm-up's last batch to the last timed one. */
async function steps(runner: TrainingRunner, request: Extract<RunRequest, { mode: 'steps' }>): Promise<StepsResult> {
  const opened = await open(runner, request);
  if (request.initWeights) await startFrom(runner, request.initWeights);
  const batch = opened.settings.batchSize;
  if (batch === null || opened.samples.train === null) throw new Error(`${request.configFile} has no train split to time`);
  const perEpoch = Math.ceil(opened.samples.train / batch);
  let done = 0;
  let lossAt = NaN;
  let start = { wall: 0, cpu: 0 };
  let end = { wall: 0, cpu: 0 };
  const onProgress = (event: TrainProgress) => {
    if (event.type !== 'batch' || done >= request.steps) return;
    done++;
    if (done === request.lossAt) lossAt = event.loss;
    const now = { wall: performance.now() / 1000, cpu: cpuSeconds() };
    if (done === request.warmup) start = now;
    end = now;
  };
  const trained = await runner.train(Math.ceil(request.steps / perEpoch), { maxSteps: request.steps, progressEveryMs: 0, onProgress });
  const trainRss = peakRssMb();
  const evaluated = await runner.evaluate();
  const wall = end.wall - start.wall;
  return {
    backend: opened.backend.name,
    description: opened.backend.description,
    parameters: opened.model.parameters,
    trained_steps: Math.ceil(trained.samples / batch),
    samples_per_s: ((request.steps - request.warmup) * batch) / wall,
    cpu_cores: (end.cpu - start.cpu) / wall,
    loss_at: lossAt,
    test_acc: evaluated.accuracy,
    test_samples: evaluated.samples,
    train_peak_rss_mb: trainRss,
    peak_rss_mb: peakRssMb(),
  };
}

/** Epoch after epoch, evaluated after each (outside the epoch's time), until the target accuracy or `epochs`. */
async function epochs(runner: TrainingRunner, request: Extract<RunRequest, { mode: 'epochs' }>): Promise<EpochsResult> {
  const opened = await open(runner, request);
  const results: EpochsResult['epochs'] = [];
  for (let epoch = 1; epoch <= request.epochs; epoch++) {
    const [trained] = (await runner.train(1)).epochs;
    const { accuracy } = await runner.evaluate();
    results.push({ seconds: trained!.seconds, samples_per_s: trained!.samplesPerSec, test_acc: accuracy });
    if (request.targetAccuracy !== null && accuracy >= request.targetAccuracy) break;
  }
  return {
    backend: opened.backend.name,
    description: opened.backend.description,
    samples: opened.samples.train!,
    epochs: results,
    peak_rss_mb: peakRssMb(),
  };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '') as RunRequest;
  // Before the runner starts its training thread, which takes this process's environment.
  if (request.mode === 'steps' && request.step === 'eager') process.env[TRAIN_STEP_ENV] = 'eager';
  const runner = new TrainingRunner();
  try {
    if (request.mode === 'params') {
      const opened = await open(runner, request);
      if (request.weightsOut) await writeInitWeights(request.weightsOut, await runner.getWeights());
      if (request.orderOut) await writeTrainOrder(request.orderOut, request.configFile, request.orderSamples ?? 0);
      const result: ParamsResult = {
        parameters: opened.model.parameters,
        backend: opened.backend.name,
        description: opened.backend.description,
      };
      console.log(JSON.stringify(result));
    } else console.log(JSON.stringify(request.mode === 'steps' ? await steps(runner, request) : await epochs(runner, request)));
  } finally {
    await runner.close();
  }
}

await main();
