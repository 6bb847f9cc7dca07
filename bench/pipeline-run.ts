// Runs as a child process of bench/pipeline.ts: one measured pass (the data generator alone, or training through the runner), one JSON line out.
import type { BackendChoice } from '../common/training-config.js';
import { loadPartyConfig } from '../main/config/party-config.js';
import { closeSplits } from '../main/data/data-handler.js';
import { openData } from '../main/data/handler-loader.js';
import { DataGenerator, type IterateOptions } from '../main/data/data-generator.js';
import { RequestSchema, type CheckedRequest } from '../main/engine/train/protocol.js';
import { TrainingSession } from '../main/engine/train/training-session.js';

/** What the parent asks for, as the one argument (JSON). */
export type PipelineRequest =
  { mode: 'generator'; configFile: string } | { mode: 'train'; configFile: string; backend: BackendChoice; maxSteps: number | null };

export interface PipelineResult {
  samples: number;
  seconds: number;
  samples_per_s: number;
  /** Process CPU time (every thread) over the pass's wall time. */
  cpu_cores: number;
  peak_rss_mb: number;
  backend?: string;
  /** Training only: seconds training waited for its first batch, then for all the others (see countWaits). */
  waited_first_s?: number;
  waited_s?: number;
  batches?: number;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 102.4) / 10; // maxRSS is in KiB
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** One epoch of the train split as training reads it (reused buffers), without training: the data side alone (getData() started the threads). */
async function generator(configFile: string): Promise<PipelineResult> {
  const { splits } = await openData(await loadPartyConfig(configFile));
  try {
    const train = splits.train!;
    const [wall, cpu] = [performance.now(), cpuSeconds()];
    let samples = 0;
    let checksum = 0;
    for await (const batch of train.iterateEpoch({ reuseBuffers: true })) {
      samples += batch.shape[0];
      checksum += batch.x[batch.x.length - 1]!; // touch the data, as a consumer would
    }
    const seconds = (performance.now() - wall) / 1000;
    if (!Number.isFinite(checksum)) throw new Error('the batches hold values that are not finite');
    return { samples, seconds, samples_per_s: samples / seconds, cpu_cores: (cpuSeconds() - cpu) / seconds, peak_rss_mb: peakRssMb() };
  } finally {
    await closeSplits(splits);
  }
}

/**
 * Seconds the consumer of any generator spent inside its iterator's next(): waiting for a batch still loading, plus the
 * data side's own work on this thread (the batch check, assembling it). Counted by wrapping the base class's
 * iterateEpoch, so the training code runs as it is; the first batch's wait (the pipeline filling) is kept apart.
 */
const waits = { first: 0, rest: 0, batches: 0 };

function countWaits(): void {
  const iterate = DataGenerator.prototype.iterateEpoch;
  DataGenerator.prototype.iterateEpoch = async function* (this: DataGenerator, options?: IterateOptions) {
    const inner = iterate.call(this, options);
    try {
      for (let first = true; ; first = false) {
        const started = performance.now();
        const next = await inner.next();
        const seconds = (performance.now() - started) / 1000;
        if (first) waits.first += seconds;
        else waits.rest += seconds;
        if (next.done) return next.value;
        waits.batches++;
        yield next.value;
      }
    } finally {
      await inner.return(undefined as never); // a consumer that stops early ends the inner epoch too (its loads settle)
    }
  };
}

/**
 * One epoch (or maxSteps batches of it) of mnist-cnn as bench:train's end-to-end row trains it: the training thread's
 * own session (open, then train), run on this process's main thread so the wait above can be counted.
 */
async function train(request: Extract<PipelineRequest, { mode: 'train' }>): Promise<PipelineResult> {
  countWaits();
  const session = new TrainingSession();
  try {
    const open = {
      type: 'open',
      id: 0,
      configFile: request.configFile,
      model: { builtin: 'mnist-cnn', seed: 0 },
      backend: request.backend,
    };
    const opened = await session.open(RequestSchema.parse(open) as Extract<CheckedRequest, { type: 'open' }>);
    if (request.backend !== 'auto' && opened.backend.name !== request.backend)
      throw new Error(`not available: ${opened.backend.description}`);
    const cpu = cpuSeconds();
    const trained = await session.train(1, request.maxSteps === null ? {} : { maxSteps: request.maxSteps });
    const epoch = trained.epochs[0]!;
    return {
      samples: epoch.samples,
      seconds: epoch.seconds,
      samples_per_s: epoch.samplesPerSec,
      // The call also opens and closes the epoch around the timed part: a slight overestimate of the cores.
      cpu_cores: (cpuSeconds() - cpu) / epoch.seconds,
      peak_rss_mb: peakRssMb(),
      backend: opened.backend.name,
      waited_first_s: waits.first,
      waited_s: waits.rest,
      batches: waits.batches,
    };
  } finally {
    await session.close();
  }
}

const request = JSON.parse(process.argv[2] ?? '') as PipelineRequest;
console.log(JSON.stringify(request.mode === 'generator' ? await generator(request.configFile) : await train(request)));
