// Runs anywhere in main: the generator over image files (folder or manifest), decoding on the thread pool, optionally cached.
import type { WindowOption } from '../../common/data-config.js';
import { CACHE_EMPTY, type DecodedRows, type DecodeJob, type FilesContext, type ProbedFile } from './decode/decode-jobs.js';
import type { TargetSpec } from './decode/image.js';
import type { DecodedCache } from './decoded-cache.js';
import { intensitySpec } from './intensity.js';
import { normalizeLut } from './normalize.js';
import { PooledGenerator, type PooledOptions } from './pooled-generator.js';
import { rowsBatch } from './rows-batch.js';
import type { FileList } from './sources/file-list.js';
import type { ListingReport } from './sources/problems.js';
import type { Batch, SampleShape } from './types.js';

export type ImageTarget = TargetSpec & { height: number; width: number };

export interface ImageGeneratorOptions extends PooledOptions {
  files: FileList;
  classNames: readonly string[];
  target: ImageTarget;
  onBadFile: 'skip' | 'fail';
  /** How a sample is named in reports and previews; default: its file's path. */
  describe?: (index: number) => string;
  /** The `window` option (see intensity.ts); unset keeps 8-bit images on their lookup table. */
  window?: WindowOption;
  /** Entry i is frame frames[i] of its file (multi-frame DICOM); shared memory, parallel to `files`. Default: frame 0. */
  frames?: Uint32Array;
  cache?: DecodedCache;
  /** What listing the files found and did not use (reported by scans). */
  listing?: ListingReport;
  /** Things the operator should know about how this split is read (e.g. why it runs without its cache). */
  notes?: string[];
}

export class ImageFilesGenerator extends PooledGenerator {
  readonly sampleCount: number;
  readonly classNames: readonly string[];
  readonly sampleShape: SampleShape;
  readonly #options: ImageGeneratorOptions;
  readonly #context: FilesContext;

  constructor(options: ImageGeneratorOptions) {
    super(options);
    this.#options = options;
    this.sampleCount = options.files.length;
    this.classNames = options.classNames;
    const { height, width, channels } = options.target;
    this.sampleShape = { height, width, channels };
    const lut = normalizeLut(options.normalize, channels);
    const intensity = intensitySpec(options, channels);
    this.#context = {
      kind: 'files',
      files: options.files.shared(),
      target: options.target,
      lut,
      intensity,
      cache: options.cache?.ref,
      ...(options.frames && { frames: options.frames }),
    };
  }

  get cache(): DecodedCache | undefined {
    return this.#options.cache;
  }

  get listing(): ListingReport | undefined {
    return this.#options.listing;
  }

  get notes(): readonly string[] {
    return this.#options.notes ?? [];
  }

  override describeSample(index: number): string {
    const { files, frames, describe } = this.#options;
    return describe?.(index) ?? (frames ? `${files.path(index)} (frame ${frames[index]})` : files.path(index));
  }

  override labelOf(index: number): number {
    return this.#options.files.label(index);
  }

  /** Decode these files in full at their own size and say what they are (for scans). */
  probe(indices: Uint32Array): Promise<ProbedFile[]> {
    return this.runOnPool({ kind: 'probe', indices }) as Promise<ProbedFile[]>;
  }

  protected override decodeContext(): FilesContext {
    return this.#context;
  }

  /** A finished epoch has decoded every sample once: the cache's states go to disk. */
  override onEpochEnd(): void {
    this.#options.cache?.flush();
    super.onEpochEnd();
  }

  override async close(): Promise<void> {
    this.#options.cache?.close();
    await super.close();
  }

  protected override async loadSamples(indices: Uint32Array, signal?: AbortSignal, out?: Float32Array): Promise<Batch> {
    signal?.throwIfAborted();
    const { cache } = this.#options;
    const job: DecodeJob = { kind: 'decode', indices: indices.slice() };
    if (cache) {
      job.slots = Uint32Array.from(indices, (i) => cache.slots[i]!);
      job.firstNewSlot = cache.reserve(job.slots.filter((slot) => slot === CACHE_EMPTY).length);
    }
    const decoded = await this.decodeOnPool(job, out);
    if (cache) recordSlots(cache, job, decoded.rows);
    return rowsBatch(this, indices, decoded, { onBadFile: this.#options.onBadFile, label: (i) => this.#options.files.label(i) });
  }
}

/**
 * The slots the worker wrote this job's new records to, in row order: successes only, from firstNewSlot on. A
 * sample that failed stays uncached and is tried again next epoch: a file may be fixed, a share may come back. So does a
 * full-depth image in an 8-bit cache, decoded again each epoch rather than stored rounded.
 */
function recordSlots(cache: DecodedCache, job: DecodeJob, rows: DecodedRows): void {
  let next = job.firstNewSlot!;
  const uncached = new Set(rows.uncached);
  job.indices.forEach((index, row) => {
    if (job.slots![row] === CACHE_EMPTY && rows.ok[row] && !uncached.has(row)) cache.slots[index] = 1 + next++;
  });
  cache.written();
}
