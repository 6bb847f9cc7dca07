// Runs anywhere in main: a DataGenerator whose samples are decoded on the shared thread pool, in a context sent once per thread.
import type { Normalize } from '../../common/data-config.js';
import { DataGenerator, type GeneratorOptions } from './data-generator.js';
import type { DecodeContext, DecodedRows, DecodeJob, DecodeResult, Job } from './decode/decode-jobs.js';
import { contextId, leaseDecodePool, type DecodePool, type DecodePoolLease } from './decode/decode-pool.js';
import { denormalizer } from './normalize.js';
import { sampleValues } from './sample-shape.js';

export interface PooledOptions extends GeneratorOptions {
  normalize: Normalize;
  /** Decode threads; default one per core. */
  workers?: number;
}

/**
 * Batches prefetched by default: about this many bytes of them, and between 2 and 16 batches. Five batches of 224 x 224
 * gray keep two decode threads busy; 64 MB held ten and took a DICOM run's peak RSS past 400 MB (bench:medical).
 */
const PREFETCH_BYTES = 32 * 2 ** 20;

export abstract class PooledGenerator extends DataGenerator {
  readonly #workers: number | undefined;
  readonly #normalize: Normalize;
  readonly #contextId: string;
  #lease: DecodePoolLease | null = null;

  constructor(options: PooledOptions) {
    super(options);
    this.#workers = options.workers;
    this.#normalize = options.normalize;
    this.#contextId = contextId(this.constructor.name);
  }

  /** What every decode thread needs to know about this generator, once. */
  protected abstract decodeContext(): DecodeContext;

  /** Without an explicit prefetch, deep enough to keep the threads busy, bounded in bytes for large images. */
  protected defaultPrefetch(): number {
    const batchBytes = this.batchSize * sampleValues(this.sampleShape) * 4;
    return Math.max(2, Math.min(16, Math.floor(PREFETCH_BYTES / batchBytes)));
  }

  override get prefetch(): number {
    return this.explicitPrefetch ?? this.defaultPrefetch();
  }

  override displayPixel(): (value: number, channel: number) => number {
    return denormalizer(this.#normalize, this.sampleShape.channels);
  }

  /** Start the decode threads now and wait until they can take jobs, so the first epoch does not pay for it. */
  async start(): Promise<void> {
    await this.pool().ready();
  }

  /** The shared decode pool, leased on first use (or start()). */
  pool(): DecodePool {
    this.#lease ??= leaseDecodePool(this.#workers);
    return this.#lease.pool;
  }

  protected runOnPool(job: Job): Promise<DecodeResult> {
    return this.pool().run(job, [], { id: this.#contextId, value: this.decodeContext() });
  }

  /** Decode on the pool, into `out` when given; the rows' values, packed, as a Float32Array either way. */
  protected async decodeOnPool(job: DecodeJob, out?: Float32Array): Promise<{ rows: DecodedRows; x: Float32Array }> {
    if (out) job.out = out.buffer as SharedArrayBuffer;
    const rows = (await this.runOnPool(job)) as DecodedRows;
    const packed = rows.ok.reduce((n, ok) => n + ok, 0);
    return { rows, x: rows.x ?? out!.subarray(0, packed * sampleValues(this.sampleShape)) };
  }

  override async close(): Promise<void> {
    await this.#lease?.release();
    this.#lease = null;
    await super.close();
  }
}
