// Runs anywhere in main: the DataGenerator base class, a Keras-Sequence-like view of a split that streams batches.
import { BadBatchError, BatchProblem, checkBatch, listed, originOf } from './batch-check.js';
import { sampleDims, sampleValues } from './sample-shape.js';
import { epochOrder } from './shuffle.js';
import type { Batch, EpochSummary, SampleShape, SkippedSample } from './types.js';
import type { AppliedIntensity } from './intensity.js';

export interface GeneratorOptions {
  batchSize: number;
  /** Reshuffle every epoch (default true): an unshuffled class-sorted tree trains single-class batches. */
  shuffle?: boolean;
  seed?: number;
  /** Default prefetch depth of iterateEpoch (4, unless the generator sizes it itself, as the pooled ones do). */
  prefetch?: number;
}

export interface IterateOptions {
  /** How many batches may be loading ahead of the consumer; memory is bounded by prefetch x batch. */
  prefetch?: number;
  signal?: AbortSignal;
  /**
   * Decode into a ring of prefetch + 1 shared buffers instead of a new buffer per batch: no allocation, transfer
   * or garbage per batch, but a batch's `x` is only valid until the next batch is requested. Copy what you keep.
   */
  reuseBuffers?: boolean;
}

/** Skipped samples kept with their reasons per epoch; the count itself is never capped. */
const SKIPPED_KEPT = 100;

export abstract class DataGenerator {
  abstract readonly sampleCount: number;
  abstract readonly classNames: readonly string[];
  abstract readonly sampleShape: SampleShape;

  readonly shuffle: boolean;
  readonly seed: number;
  /** The prefetch depth the config asked for, if any. */
  protected readonly explicitPrefetch: number | undefined;
  #batchSize: number;
  #epoch = 0;
  #order: Uint32Array | null = null;
  #lastSummary: EpochSummary | null = null;
  /** Kept across epochs: a new ring per epoch would hold two rings' memory until the old one is collected. */
  #ring: BufferRing | null = null;

  constructor(options: GeneratorOptions) {
    this.#batchSize = checkBatchSize(options.batchSize);
    this.shuffle = options.shuffle ?? true;
    this.seed = options.seed ?? 0;
    this.explicitPrefetch = options.prefetch;
  }

  /** How many batches iterateEpoch loads ahead unless told otherwise. */
  get prefetch(): number {
    return this.explicitPrefetch ?? 4;
  }

  /**
   * Decode the given dataset indices into one batch, leaving out (and listing) samples that cannot be read.
   * `out`, when given, is shared memory with room for a full batch that the rows may be written into (and x may
   * view); a generator is free to ignore it and return its own x.
   */
  protected abstract loadSamples(indices: Uint32Array, signal?: AbortSignal, out?: Float32Array): Promise<Batch>;

  /** Where a sample comes from (a file path, or a file and record number), for previews and error messages. */
  abstract describeSample(index: number): string;

  /** The class of a sample without decoding it, where the generator knows it (used to filter previews). */
  labelOf(_index: number): number | undefined {
    return undefined;
  }

  /** Maps a model input value back to a 0-255 pixel for display, where the generator knows its normalization. */
  displayPixel(): ((value: number, channel: number) => number) | null {
    return null;
  }

  /** Release workers and file handles; subclasses call this too, for the batch buffers. */
  async close(): Promise<void> {
    this.#ring = null;
  }

  get batchSize(): number {
    return this.#batchSize;
  }

  set batchSize(size: number) {
    this.#batchSize = checkBatchSize(size);
  }

  /** Batches per epoch; the last one may be smaller, so every sample is seen once an epoch. */
  get length(): number {
    return Math.ceil(this.sampleCount / this.#batchSize);
  }

  get epoch(): number {
    return this.#epoch;
  }

  get lastEpochSummary(): EpochSummary | null {
    return this.#lastSummary;
  }

  /** The dataset indices that make up batch i of the current epoch. */
  batchIndices(i: number): Uint32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`batch ${i} is out of range: this epoch has ${this.length} batches`);
    }
    this.#order ??= epochOrder(this.sampleCount, this.shuffle, this.seed, this.#epoch);
    return this.#order.subarray(i * this.#batchSize, Math.min((i + 1) * this.#batchSize, this.sampleCount));
  }

  /** Any samples by dataset index, outside the epoch order: for scans and previews. */
  readSamples(indices: Uint32Array, signal?: AbortSignal): Promise<Batch> {
    for (const i of indices) if (i >= this.sampleCount) throw new RangeError(`sample ${i} is out of range: there are ${this.sampleCount}`);
    return this.#load(indices, null, signal);
  }

  getBatch(i: number, signal?: AbortSignal): Promise<Batch> {
    return this.#load(this.batchIndices(i), i, signal);
  }

  /** Move to the next epoch; a shuffling generator draws its next order from (seed, epoch). */
  onEpochEnd(): void {
    this.#epoch++;
    this.#order = null;
  }

  /**
   * One epoch in order, `prefetch` batches loading ahead. Batches whose every sample was skipped are not
   * yielded but counted. A completed epoch ends with onEpochEnd(); an aborted one does not move the epoch.
   */
  async *iterateEpoch(options: IterateOptions = {}): AsyncGenerator<Batch, EpochSummary> {
    const { prefetch = this.prefetch, signal } = options;
    const depth = Math.max(1, prefetch);
    const total = this.length;
    const summary: EpochSummary = { epoch: this.#epoch, batches: 0, samples: 0, skipped: 0, skippedSamples: [] };
    const ring = options.reuseBuffers ? this.#bufferRing(this.#batchSize * sampleValues(this.sampleShape)) : null;
    const inFlight: { loading: Promise<Batch>; buffer?: Float32Array }[] = [];
    let next = 0;
    const fill = () => {
      while (next < total && inFlight.length < depth) {
        const buffer = ring?.take();
        const loading = this.#load(this.batchIndices(next), next++, signal, buffer);
        loading.catch(() => {}); // awaited in order below; this only keeps an early failure from going unhandled
        inFlight.push({ loading, buffer });
      }
    };
    try {
      fill();
      while (inFlight.length > 0) {
        signal?.throwIfAborted();
        const { loading, buffer } = inFlight.shift()!;
        const batch = await loading;
        fill();
        tally(summary, batch.skipped);
        if (batch.indices.length > 0) {
          summary.batches++;
          summary.samples += batch.indices.length;
          yield batch;
        }
        if (buffer) ring!.give(buffer); // the consumer asked for the next batch: this one is done with
      }
    } finally {
      // Outstanding loads are settled before returning, so a stopped epoch leaves no work running behind it.
      await Promise.allSettled(inFlight.map((f) => f.loading));
    }
    this.#lastSummary = summary;
    this.onEpochEnd();
    return summary;
  }

  /** The generator's ring, new only when the batch size has changed; concurrent epochs take distinct buffers from it. */
  #bufferRing(length: number): BufferRing {
    if (this.#ring?.length !== length) this.#ring = new BufferRing(length);
    return this.#ring;
  }

  /**
   * Every batch a generator hands out comes through here and is checked: loadSamples may be a site's code, and a batch
   * that is not what it claims would train silently wrong (a label outside the classes, NaN) or fail deep in tfjs.
   * `batch` is the batch's place in the epoch, or null for samples read outside it.
   */
  async #load(indices: Uint32Array, batch: number | null, signal?: AbortSignal, out?: Float32Array): Promise<Batch> {
    let loaded: unknown;
    try {
      loaded = await this.loadSamples(indices, signal, out);
    } catch (error) {
      if (signal?.aborted) throw error; // a stop, not a failure: the caller knows it by its signal
      throw new Error(`${this.#where(batch, indices)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    try {
      return checkBatch(loaded, {
        sampleShape: this.sampleShape,
        classCount: this.classNames.length,
        sampleCount: this.sampleCount,
        asked: indices,
        onNonFinite: originOf(this)?.onNonFinite ?? 'fail',
        sampleName: (index) => this.#sampleName(index),
      });
    } catch (error) {
      if (!(error instanceof BatchProblem)) throw error;
      throw new BadBatchError(`${this.#where(batch, indices)}: ${error.message}`);
    }
  }

  /** Which handler, split and batch a message is about: `Mine (/site/mine.mjs), train split, batch 3 of 40`. */
  #where(batch: number | null, indices: Uint32Array): string {
    const origin = originOf(this);
    const who = origin ? `${origin.handler}, ${origin.split} split` : this.constructor.name;
    return `${who}, ${batch === null ? `reading samples ${listed(indices)}` : `batch ${batch + 1} of ${this.length}`}`;
  }

  /** describeSample for a message: a site's describeSample may throw or ramble, and the message must still be made. */
  #sampleName(index: number): string {
    try {
      const name = String(this.describeSample(index));
      return name.length > 300 ? `${name.slice(0, 300)}...` : name;
    } catch {
      return `sample ${index} (describeSample failed)`;
    }
  }
}

/** Batch-sized float buffers in shared memory, handed out and given back (decode threads write into them). */
class BufferRing {
  readonly #free: Float32Array[] = [];
  constructor(readonly length: number) {}

  take(): Float32Array {
    return this.#free.pop() ?? new Float32Array(new SharedArrayBuffer(this.length * 4));
  }

  give(buffer: Float32Array): void {
    this.#free.push(buffer);
  }
}

function tally(summary: EpochSummary, skipped: SkippedSample[]): void {
  summary.skipped += skipped.length;
  for (const s of skipped) if (summary.skippedSamples.length < SKIPPED_KEPT) summary.skippedSamples.push(s);
}

function checkBatchSize(size: number): number {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a whole number >= 1, got ${size}`);
  return size;
}

/** Assemble a Batch from decoded rows: labels become both integer and one-hot. */
export function makeBatch(parts: {
  x: Float32Array;
  shape: SampleShape;
  indices: Uint32Array;
  labels: Int32Array;
  numClasses: number;
  skipped?: SkippedSample[];
  applied?: ReadonlyMap<number, AppliedIntensity>;
}): Batch {
  const n = parts.indices.length;
  const oneHot = new Float32Array(n * parts.numClasses);
  for (let r = 0; r < n; r++) {
    const label = parts.labels[r]!;
    // A label outside the classes is left for the batch check to name; written, it would land in another row.
    if (label >= 0 && label < parts.numClasses) oneHot[r * parts.numClasses + label] = 1;
  }
  return {
    x: parts.x,
    shape: [n, ...sampleDims(parts.shape)] as Batch['shape'],
    labels: parts.labels,
    oneHot,
    indices: parts.indices,
    skipped: parts.skipped ?? [],
    ...(parts.applied && { applied: parts.applied }),
  };
}
