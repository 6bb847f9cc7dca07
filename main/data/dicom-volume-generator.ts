// Runs anywhere in main: the generator over DICOM series read whole (slice: volume): sample i is series i's slices, one 3-D sample, decoded on the pool.
import type { WindowOption } from '../../common/data-config.js';
import type { DicomVolumesContext } from './decode/dicom/volume-job.js';
import type { RowTarget } from './decode/float-row.js';
import { intensitySpec } from './intensity.js';
import { PooledGenerator, type PooledOptions } from './pooled-generator.js';
import { rowsBatch } from './rows-batch.js';
import type { FileList } from './sources/file-list.js';
import type { ListingReport } from './sources/problems.js';
import type { Batch, SampleShape } from './types.js';

export interface DicomVolumeOptions extends PooledOptions {
  /** Every slice of every sample, sample after sample, each one's in depth order (sealed). */
  slices: FileList;
  /** Per slice, its frame in its file; shared memory. */
  frames: Uint32Array;
  /** Sample i is slices starts[i] to starts[i + 1] - 1; shared memory, sampleCount + 1 entries. */
  starts: Uint32Array;
  /** Label index per sample. */
  labels: Int32Array;
  classNames: readonly string[];
  /** Every series is resampled to depth x height x width. */
  target: RowTarget & { depth: number };
  window?: WindowOption;
  maxPixels: number;
  maxVoxels: number;
  onBadFile: 'skip' | 'fail';
  /** The series' first file, relative to its folder, with the hashed patient: for previews and skipped samples. */
  describe: (index: number) => string;
  /** What listing the folders found and did not use (reported by scans). */
  listing: ListingReport;
}

export class DicomVolumesGenerator extends PooledGenerator {
  readonly sampleCount: number;
  readonly classNames: readonly string[];
  readonly sampleShape: SampleShape;
  readonly #options: DicomVolumeOptions;
  readonly #context: DicomVolumesContext;

  constructor(options: DicomVolumeOptions) {
    super(options);
    this.#options = options;
    this.sampleCount = options.labels.length;
    this.classNames = options.classNames;
    const { depth, height, width, channels } = options.target;
    this.sampleShape = { depth, height, width, channels };
    this.#context = {
      kind: 'dicom-volumes',
      slices: options.slices.shared(),
      frames: options.frames,
      starts: options.starts,
      target: options.target,
      intensity: intensitySpec(options, channels),
      maxPixels: options.maxPixels,
      maxVoxels: options.maxVoxels,
    };
  }

  get listing(): ListingReport {
    return this.#options.listing;
  }

  override describeSample(index: number): string {
    return this.#options.describe(index);
  }

  override labelOf(index: number): number {
    return this.#options.labels[index]!;
  }

  protected override decodeContext(): DicomVolumesContext {
    return this.#context;
  }

  protected override async loadSamples(indices: Uint32Array, signal?: AbortSignal, out?: Float32Array): Promise<Batch> {
    signal?.throwIfAborted();
    const decoded = await this.decodeOnPool({ kind: 'decode', indices: indices.slice() }, out);
    return rowsBatch(this, indices, decoded, { onBadFile: this.#options.onBadFile, label: (i) => this.labelOf(i) });
  }
}
