// Runs in the training thread of bench:pipeline's children, as a site handler module: batches from memory, so a run times the training step alone.
import { DataGenerator, DataHandler, makeBatch } from 'tributary';

/** Distinct rows kept; sample i is row i % ROWS. Enough that batches differ, small enough to stay in the processor's cache. */
const ROWS = 1024;

/** Seeded values in [0, 1) (mulberry32): the same batches on every run and backend. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The shape, class count and sample count of the real split, but each batch a copy out of memory: no file, no decode thread. */
class MemoryGenerator extends DataGenerator {
  constructor({ samples, height, width, channels, classes, ...options }) {
    super(options);
    this.sampleCount = samples;
    this.sampleShape = { height, width, channels };
    this.classNames = Array.from({ length: classes }, (_, c) => `class-${c}`);
    this.rowValues = height * width * channels;
    const next = random(options.seed ?? 0);
    this.rows = Float32Array.from({ length: ROWS * this.rowValues }, next);
    this.rowLabels = Int32Array.from({ length: ROWS }, () => Math.floor(next() * classes));
  }

  describeSample(index) {
    return `memory row ${index % ROWS}`;
  }

  labelOf(index) {
    return this.rowLabels[index % ROWS];
  }

  async loadSamples(indices, _signal, out) {
    const n = indices.length;
    const x = out ? out.subarray(0, n * this.rowValues) : new Float32Array(n * this.rowValues);
    indices.forEach((index, row) => {
      const from = (index % ROWS) * this.rowValues;
      x.set(this.rows.subarray(from, from + this.rowValues), row * this.rowValues);
    });
    const labels = Int32Array.from(indices, (index) => this.rowLabels[index % ROWS]);
    return makeBatch({ x, shape: this.sampleShape, indices: indices.slice(), labels, numClasses: this.classNames.length });
  }
}

/** info: samples, height, width, channels, classes, batch_size, seed (a train split only). */
export class MemoryData extends DataHandler {
  getData() {
    const { samples, height, width, channels, classes, batch_size: batchSize, seed = 0 } = this.info;
    return { train: new MemoryGenerator({ samples, height, width, channels, classes, batchSize, seed }) };
  }
}
