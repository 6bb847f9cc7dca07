// Runs anywhere in main: the generator over an IDX images file and its labels, reading records by offset on the pool.
import type { Normalize } from '../../common/data-config.js';
import { DataGenerator, makeBatch, type GeneratorOptions } from './data-generator.js';
import type { DecodedRows, IdxJob } from './decode/decode-jobs.js';
import { leaseDecodePool, type DecodePool } from './decode/decode-pool.js';
import type { IdxHeader } from './idx.js';
import { denormalizer, normalizeLut } from './normalize.js';
import type { Batch, SampleShape } from './types.js';

export interface IdxGeneratorOptions extends GeneratorOptions {
  /** The uncompressed images file and its header (records are (h, w) or (h, w, c) ubyte). */
  images: IdxHeader;
  /** The path the config named (the .gz, if it was one), for messages. */
  source: string;
  labels: Uint8Array;
  classNames: readonly string[];
  normalize: Normalize;
  workers?: number;
}

export class IdxGenerator extends DataGenerator {
  readonly sampleCount: number;
  readonly classNames: readonly string[];
  readonly sampleShape: SampleShape;
  readonly #options: IdxGeneratorOptions;
  readonly #lut: Float32Array;
  #lease: { pool: DecodePool; release: () => Promise<void> } | null = null;

  constructor(options: IdxGeneratorOptions) {
    super(options);
    this.#options = options;
    const [count, height, width, channels = 1] = options.images.dims as [number, number, number, number?];
    this.sampleCount = count;
    this.sampleShape = { height, width, channels };
    this.classNames = options.classNames;
    this.#lut = normalizeLut(options.normalize, channels);
  }

  override describeSample(index: number): string {
    return `${this.#options.source} record ${index}`;
  }

  override labelOf(index: number): number {
    return this.#options.labels[index]!;
  }

  override displayPixel(): (value: number, channel: number) => number {
    return denormalizer(this.#options.normalize, this.sampleShape.channels);
  }

  override async close(): Promise<void> {
    await this.#lease?.release();
    this.#lease = null;
  }

  protected override async loadSamples(indices: Uint32Array, signal?: AbortSignal): Promise<Batch> {
    signal?.throwIfAborted();
    this.#lease ??= leaseDecodePool(this.#options.workers);
    const { file, dataOffset, recordBytes } = this.#options.images;
    const job: IdxJob = { kind: 'idx', file, dataOffset, recordBytes, indices: indices.slice(), lut: this.#lut, channels: this.sampleShape.channels };
    const rows = (await this.#lease.pool.run(job)) as DecodedRows;
    const labels = Int32Array.from(indices, (i) => this.#options.labels[i]!);
    return makeBatch({ x: rows.x, shape: this.sampleShape, indices: indices.slice(), labels, numClasses: this.classNames.length });
  }
}
