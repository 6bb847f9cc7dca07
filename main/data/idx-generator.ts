// Runs anywhere in main: the generator over an IDX images file and its labels, reading records by offset on the pool.
import { makeBatch } from './data-generator.js';
import type { IdxContext } from './decode/decode-jobs.js';
import type { IdxHeader } from './idx.js';
import { normalizeLut } from './normalize.js';
import { PooledGenerator, type PooledOptions } from './pooled-generator.js';
import type { Batch, SampleShape } from './types.js';

export interface IdxGeneratorOptions extends PooledOptions {
  /** The uncompressed images file and its header (records are (h, w) or (h, w, c) ubyte). */
  images: IdxHeader;
  /** The path the config named (the .gz, if it was one), for messages. */
  source: string;
  labels: Uint8Array;
  classNames: readonly string[];
}

export class IdxGenerator extends PooledGenerator {
  readonly sampleCount: number;
  readonly classNames: readonly string[];
  readonly sampleShape: SampleShape;
  readonly #options: IdxGeneratorOptions;
  readonly #context: IdxContext;

  constructor(options: IdxGeneratorOptions) {
    super(options);
    this.#options = options;
    const [count, height, width, channels = 1] = options.images.dims as [number, number, number, number?];
    this.sampleCount = count;
    this.sampleShape = { height, width, channels };
    this.classNames = options.classNames;
    const { file, dataOffset, recordBytes } = options.images;
    this.#context = { kind: 'idx', file, dataOffset, recordBytes, lut: normalizeLut(options.normalize, channels), channels };
  }

  override describeSample(index: number): string {
    return `${this.#options.source} record ${index}`;
  }

  override labelOf(index: number): number {
    return this.#options.labels[index]!;
  }

  protected override decodeContext(): IdxContext {
    return this.#context;
  }

  protected override async loadSamples(indices: Uint32Array, signal?: AbortSignal, out?: Float32Array): Promise<Batch> {
    signal?.throwIfAborted();
    const { x } = await this.decodeOnPool({ kind: 'decode', indices: indices.slice() }, out);
    const labels = Int32Array.from(indices, (i) => this.#options.labels[i]!);
    return makeBatch({ x, shape: this.sampleShape, indices: indices.slice(), labels, numClasses: this.classNames.length });
  }
}
