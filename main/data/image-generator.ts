// Runs anywhere in main: the generator over image files (folder or manifest), decoding on the thread pool, optionally cached.
import type { Normalize } from '../../common/data-config.js';
import { DataGenerator, makeBatch, type GeneratorOptions } from './data-generator.js';
import { CACHE_BAD, CACHE_OK, type DecodedRows, type FilesJob } from './decode/decode-jobs.js';
import { leaseDecodePool, type DecodePool } from './decode/decode-pool.js';
import type { TargetSpec } from './decode/image.js';
import type { DecodedCache } from './decoded-cache.js';
import { denormalizer, normalizeLut } from './normalize.js';
import type { FileList, SharedFileList } from './sources/file-list.js';
import type { ListingReport } from './sources/problems.js';
import type { Batch, SampleShape, SkippedSample } from './types.js';

export type ImageTarget = TargetSpec & { height: number; width: number };

export interface ImageGeneratorOptions extends GeneratorOptions {
  files: FileList;
  classNames: readonly string[];
  target: ImageTarget;
  normalize: Normalize;
  onBadFile: 'skip' | 'fail';
  workers?: number;
  cache?: DecodedCache;
  /** What listing the files found and did not use (reported by scans). */
  listing?: ListingReport;
}

/** A file that could not be decoded under `on_bad_file: fail`. */
export class BadFileError extends Error {
  constructor(readonly skipped: SkippedSample[]) {
    const first = skipped[0]!;
    const more = skipped.length > 1 ? ` (and ${skipped.length - 1} more in this batch)` : '';
    super(`${first.source}: ${first.reason}${more}; on_bad_file is "fail" (set it to "skip" to train without such files)`);
    this.name = 'BadFileError';
  }
}

export class ImageFilesGenerator extends DataGenerator {
  readonly sampleCount: number;
  readonly classNames: readonly string[];
  readonly sampleShape: SampleShape;
  readonly #options: ImageGeneratorOptions;
  readonly #lut: Float32Array;
  readonly #shared: SharedFileList;
  #lease: { pool: DecodePool; release: () => Promise<void> } | null = null;

  constructor(options: ImageGeneratorOptions) {
    super(options);
    this.#options = options;
    this.sampleCount = options.files.length;
    this.classNames = options.classNames;
    const { height, width, channels } = options.target;
    this.sampleShape = { height, width, channels };
    this.#lut = normalizeLut(options.normalize, channels);
    this.#shared = options.files.shared();
  }

  get cache(): DecodedCache | undefined {
    return this.#options.cache;
  }

  get target(): ImageTarget {
    return this.#options.target;
  }

  get listing(): ListingReport | undefined {
    return this.#options.listing;
  }

  override describeSample(index: number): string {
    return this.#options.files.path(index);
  }

  override labelOf(index: number): number {
    return this.#options.files.label(index);
  }

  override displayPixel(): (value: number, channel: number) => number {
    return denormalizer(this.#options.normalize, this.sampleShape.channels);
  }

  /** The shared decode pool, leased on first use so a generator that is never read starts no threads. */
  pool(): DecodePool {
    this.#lease ??= leaseDecodePool(this.#options.workers);
    return this.#lease.pool;
  }

  /** A finished epoch has decoded every sample once: the cache's states go to disk. */
  override onEpochEnd(): void {
    this.#options.cache?.flush();
    super.onEpochEnd();
  }

  override async close(): Promise<void> {
    this.#options.cache?.flush();
    await this.#lease?.release();
    this.#lease = null;
  }

  protected override async loadSamples(indices: Uint32Array, signal?: AbortSignal): Promise<Batch> {
    signal?.throwIfAborted();
    const { files, cache, target } = this.#options;
    const job: FilesJob = { kind: 'files', files: this.#shared, indices: indices.slice(), target, lut: this.#lut };
    if (cache) job.cache = { ...cache.ref, states: Uint8Array.from(indices, (i) => cache.states[i]!) };
    const rows = (await this.pool().run(job)) as DecodedRows;
    if (cache) for (const [row, i] of indices.entries()) cache.states[i] = rows.ok[row] ? CACHE_OK : CACHE_BAD;
    return this.#toBatch(indices, rows, files);
  }

  /** The file list as decode threads receive it. */
  get sharedFiles(): SharedFileList {
    return this.#shared;
  }

  #toBatch(indices: Uint32Array, rows: DecodedRows, files: FileList): Batch {
    const skipped = rows.failures.map(({ row, reason }) => ({ index: indices[row]!, source: files.path(indices[row]!), reason }));
    if (skipped.length > 0 && this.#options.onBadFile === 'fail') throw new BadFileError(skipped);
    const kept = indices.filter((_, row) => rows.ok[row] === 1);
    const labels = Int32Array.from(kept, (i) => this.#options.files.label(i));
    return makeBatch({ x: rows.x, shape: this.sampleShape, indices: kept, labels, numClasses: this.classNames.length, skipped });
  }
}
