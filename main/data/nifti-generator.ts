// Runs anywhere in main: the generator over NIfTI slices (sample i is slice k of volume v) or whole volumes, decoded on the thread pool through the float path.
import type { DecodeContext, DecodedRows, DecodeResult, Job } from './decode/decode-jobs.js';
import type { RowTarget } from './decode/float-row.js';
import type { NiftiJob } from './decode/nifti/job.js';
import type { Axis } from './decode/nifti/index.js';
import { intensitySpec, type IntensitySpec } from './intensity.js';
import { PooledGenerator, type PooledOptions } from './pooled-generator.js';
import { rowsBatch } from './rows-batch.js';
import { sampleValues } from './sample-shape.js';
import type { Volume } from './sources/nifti-listing.js';
import type { PhiHasher } from './sources/phi-hash.js';
import type { ListingReport } from './sources/problems.js';
import type { WindowOption } from '../../common/data-config.js';
import type { Batch, SampleShape } from './types.js';

/** One split's samples: slice `slice[i]` along the axis of volume `volume[i]` (for whole-volume samples, the volume). */
export interface NiftiSamples {
  volumes: Volume[];
  /** Label index per volume. */
  labels: Int32Array;
  volume: Uint32Array;
  slice: Uint32Array;
}

export interface NiftiGeneratorOptions extends PooledOptions {
  samples: NiftiSamples;
  classNames: readonly string[];
  axis: Axis;
  /** With a depth, every sample is a whole volume resampled to depth x height x width (slices along `axis`). */
  target: RowTarget & { depth?: number };
  window?: WindowOption;
  maxVoxels: number;
  /** Whole volumes the decode threads keep between jobs, all threads together (each keeps its share). */
  keptVolumeBytes: number;
  onBadFile: 'skip' | 'fail';
  listing: ListingReport;
  /** The site's salted hasher: a subject is shown only as its hash, the same in every run and under the Dicom handler. */
  hasher: PhiHasher;
}

/** What a scan says of one volume: its header's facts, its subject as a salted hash, and the slices that decoded. */
export interface VolumeSummary {
  file: string;
  subject: string;
  dims: [number, number, number];
  datatype: string;
  spacing: [number, number, number];
  gzip: boolean;
  /** Its samples: 2-D slices along the axis, or the whole volume as one 3-D sample (slices: volume). */
  sampledAs: 'slices' | 'volume';
  /** Samples listed from it (slices, or 1 for a whole volume), and how many of them decoded. */
  slices: number;
  readable: number;
}

/** A scan's tally of one split's volumes: fed the readable samples as the scan decodes them. */
export class VolumeTally {
  readonly #samples: NiftiSamples;
  readonly #classNames: readonly string[];
  readonly #hasher: PhiHasher;
  readonly #readable: Uint32Array;
  readonly #sampledAs: VolumeSummary['sampledAs'];

  constructor(samples: NiftiSamples, classNames: readonly string[], hasher: PhiHasher, sampledAs: VolumeSummary['sampledAs']) {
    this.#samples = samples;
    this.#sampledAs = sampledAs;
    this.#classNames = classNames;
    this.#hasher = hasher;
    this.#readable = new Uint32Array(samples.volumes.length);
  }

  add(readable: Uint32Array): void {
    for (const i of readable) this.#readable[this.#samples.volume[i]!]!++;
  }

  volumes(): VolumeSummary[] {
    const { volumes, volume } = this.#samples;
    const listed = new Uint32Array(volumes.length);
    for (const v of volume) listed[v]!++;
    return volumes.map(({ path, subject, header, gzip }, v) => ({
      file: path,
      subject: `#${this.#hasher.hash(subject)}`,
      dims: header.dims,
      datatype: header.datatype,
      spacing: header.spacing,
      gzip,
      sampledAs: this.#sampledAs,
      slices: listed[v]!,
      readable: this.#readable[v]!,
    }));
  }

  /** Volume sizes "nx x ny x nz" and formats ("NIfTI-1 int16 .nii.gz"), most common first, for the scan's generic tallies. */
  sizes(): { key: string; count: number }[] {
    return tally(this.#samples.volumes.map((v) => v.header.dims.join('x')));
  }

  formats(): { key: string; count: number }[] {
    return tally(this.#samples.volumes.map((v) => `NIfTI-${v.header.version} ${v.header.datatype} ${v.gzip ? '.nii.gz' : '.nii'}`));
  }

  /** Distinct subjects per class, in label order: how many patients a class's slices come from. */
  subjects(): { key: string; count: number }[] {
    const { volumes, labels } = this.#samples;
    return this.#classNames.map((key, c) => ({
      key,
      count: new Set(volumes.filter((_, v) => labels[v] === c).map((v) => v.subject)).size,
    }));
  }
}

function tally(keys: string[]): { key: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count);
}

export class NiftiSlicesGenerator extends PooledGenerator {
  readonly sampleCount: number;
  readonly classNames: readonly string[];
  readonly sampleShape: SampleShape;
  readonly #options: NiftiGeneratorOptions;
  readonly #intensity: IntensitySpec;

  constructor(options: NiftiGeneratorOptions) {
    super(options);
    this.#options = options;
    this.sampleCount = options.samples.volume.length;
    this.classNames = options.classNames;
    const { depth, height, width, channels } = options.target;
    this.sampleShape = { ...(depth !== undefined && { depth }), height, width, channels };
    this.#intensity = intensitySpec(options, channels);
  }

  get listing(): ListingReport {
    return this.#options.listing;
  }

  /** A tally for a scan of this split (per file dims, datatype, spacing, slices; subjects per class). */
  volumeTally(): VolumeTally {
    const sampledAs = this.sampleShape.depth === undefined ? 'slices' : 'volume';
    return new VolumeTally(this.#options.samples, this.classNames, this.#options.hasher, sampledAs);
  }

  /** The file and slice; with a subject column, the subject too, as its salted hash (for previews and skipped samples). */
  override describeSample(index: number): string {
    const { samples, axis } = this.#options;
    const { path, subject } = samples.volumes[samples.volume[index]!]!;
    const who = subject === path ? '' : ` (subject #${this.#options.hasher.hash(subject)})`;
    if (this.sampleShape.depth !== undefined) return `${path} volume, slices along axis ${axis}${who}`;
    return `${path} slice ${samples.slice[index]} along axis ${axis}${who}`;
  }

  override labelOf(index: number): number {
    const { samples } = this.#options;
    return samples.labels[samples.volume[index]!]!;
  }

  /** NIfTI jobs carry their paths and settings themselves: there is no per-thread context to send. */
  protected override decodeContext(): DecodeContext {
    throw new Error('NIfTI slice jobs need no decode context');
  }

  protected override runOnPool(job: Job): Promise<DecodeResult> {
    return this.pool().run(job);
  }

  protected override async loadSamples(indices: Uint32Array, signal?: AbortSignal, out?: Float32Array): Promise<Batch> {
    signal?.throwIfAborted();
    const { samples, axis, target, maxVoxels } = this.#options;
    const job: NiftiJob = {
      kind: 'nifti',
      paths: Array.from(indices, (i) => samples.volumes[samples.volume[i]!]!.path),
      slices: Array.from(indices, (i) => samples.slice[i]!),
      axis,
      target,
      intensity: this.#intensity,
      maxVoxels,
      keepBytes: Math.floor(this.#options.keptVolumeBytes / this.pool().size),
    };
    if (out) job.out = out.buffer as SharedArrayBuffer;
    const rows = (await this.runOnPool(job)) as DecodedRows;
    const packed = rows.ok.reduce((n, ok) => n + ok, 0);
    const x = rows.x ?? out!.subarray(0, packed * sampleValues(this.sampleShape));
    return rowsBatch(this, indices, { rows, x }, { onBadFile: this.#options.onBadFile, label: (i) => this.labelOf(i) });
  }
}
