// Runs anywhere in main: the check every batch passes on its way out of a generator (fields, types, shape, samples, labels, values), and who made it.
import type { OnNonFinite } from '../../common/data-config.js';
import { kindOf } from './kind-of.js';
import { describeShape, sampleDims, sampleValues } from './sample-shape.js';
import type { Batch, SampleShape, SkippedSample } from './types.js';

/** Where a generator came from, as openData found it: for messages, and for its `on_non_finite` policy. */
export interface GeneratorOrigin {
  /** The handler, as config messages name it: `built-in handler ImageFolder`, or `Mine (/site/mine.mjs)`. */
  handler: string;
  split: 'train' | 'test';
  onNonFinite: OnNonFinite;
}

/** What a batch is checked against: what its generator declares, and which samples it was asked for. */
export interface BatchContract {
  sampleShape: SampleShape;
  classCount: number;
  sampleCount: number;
  asked: Uint32Array;
  onNonFinite: OnNonFinite;
  /** Where a sample comes from, for messages (the generator's describeSample, made safe to call). */
  sampleName: (index: number) => string;
}

/** What is wrong with one batch, in words; the generator adds who made it and which batch it was. */
export class BatchProblem extends Error {}

/** A batch that cannot be used, named by handler, split, batch and (where one is at fault) sample. */
export class BadBatchError extends Error {
  override readonly name = 'BadBatchError';
}

const origins = new WeakMap<object, GeneratorOrigin>();

export function setOrigin(generator: object, origin: GeneratorOrigin): void {
  origins.set(generator, origin);
}

export function originOf(generator: object): GeneratorOrigin | undefined {
  return origins.get(generator);
}

/** Longest `source` or `reason` of a skipped sample kept: they are kept per epoch and shown. */
const TEXT_KEPT = 1000;

const FIELDS: readonly [key: keyof Batch, type: string, is: (value: unknown) => boolean][] = [
  ['x', 'a Float32Array', (v) => v instanceof Float32Array],
  ['shape', 'a list', Array.isArray],
  ['labels', 'an Int32Array', (v) => v instanceof Int32Array],
  ['oneHot', 'a Float32Array', (v) => v instanceof Float32Array],
  ['indices', 'a Uint32Array', (v) => v instanceof Uint32Array],
  ['skipped', 'a list', Array.isArray],
];

/**
 * The batch as Tributary may use it, or a BatchProblem. Every cost but one is per row or per label; the finite-value
 * scan reads each value of x once (6 to 12 ms for 64 x 224 x 224 x 3, against 315 to 330 ms to decode their JPEGs).
 * Under `on_non_finite: skip` the rows holding NaN or Infinity leave the batch and join its skipped list.
 */
export function checkBatch(value: unknown, contract: BatchContract): Batch {
  const batch = fieldsOf(value);
  const n = rowsOf(batch, contract);
  checkLengths(batch, n, contract.classCount);
  const skipped = checkSkipped(batch.skipped, contract.asked.length);
  checkSamples(batch, skipped, contract);
  checkLabels(batch, contract);
  return finiteRows({ ...batch, skipped }, contract);
}

function fieldsOf(value: unknown): Batch {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BatchProblem(
      `loadSamples returned ${kindOf(value)}, not a batch: return makeBatch({ x, shape, indices, labels, numClasses, skipped })`,
    );
  }
  const record = value as Record<string, unknown>;
  const missing = FIELDS.filter(([key]) => record[key] === undefined).map(([key]) => key);
  if (missing.length > 0) {
    throw new BatchProblem(
      `the batch has no ${missing.join(', ')}: a batch has x, shape, labels, oneHot, indices and skipped (makeBatch builds one)`,
    );
  }
  for (const [key, type, is] of FIELDS)
    if (!is(record[key])) throw new BatchProblem(`${key} is ${kindOf(record[key])}; it must be ${type}`);
  return value as Batch;
}

/** The row count, once shape is 4 whole numbers (5 for volumes) that agree with the declared sample shape and with x. */
function rowsOf({ x, shape }: Batch, { sampleShape }: BatchContract): number {
  const dims = sampleDims(sampleShape);
  if (shape.length !== dims.length + 1 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    const layout = sampleShape.depth === undefined ? 'height, width, channels' : 'depth, height, width, channels';
    throw new BatchProblem(`shape is ${listed(shape)}; it must be ${dims.length + 1} whole numbers [rows, ${layout}]`);
  }
  const [n, ...sample] = shape;
  if (sample.some((d, i) => d !== dims[i])) {
    throw new BatchProblem(`shape is [${shape.join(', ')}], but the generator's sampleShape is ${describeShape(sampleShape, true)}`);
  }
  const values = n * sampleValues(sampleShape);
  if (x.length !== values) throw new BatchProblem(`x holds ${x.length} values, but shape [${shape.join(', ')}] needs ${values}`);
  return n;
}

function checkLengths({ indices, labels, oneHot }: Batch, n: number, classCount: number): void {
  if (indices.length !== n) throw new BatchProblem(`indices holds ${indices.length} entries, but shape says ${n} rows`);
  if (labels.length !== n) throw new BatchProblem(`labels holds ${labels.length} entries, but shape says ${n} rows`);
  if (oneHot.length !== n * classCount) {
    throw new BatchProblem(`oneHot holds ${oneHot.length} values, but ${n} rows of ${classCount} classes need ${n * classCount}`);
  }
}

/** Each entry a { index, source, reason }; over-long texts are cut, so what an epoch keeps stays small. */
function checkSkipped(skipped: unknown[], asked: number): SkippedSample[] {
  if (skipped.length > asked) throw new BatchProblem(`skipped lists ${skipped.length} samples, but ${asked} were asked for`);
  return skipped.map((entry, k) => {
    const { index, source, reason } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(index) || typeof source !== 'string' || typeof reason !== 'string') {
      throw new BatchProblem(
        `skipped[${k}] is ${kindOf(entry)}; each entry must be { index (a whole number), source (text), reason (text) }`,
      );
    }
    const cut = (text: string) => (text.length > TEXT_KEPT ? `${text.slice(0, TEXT_KEPT)}...` : text);
    if (source.length <= TEXT_KEPT && reason.length <= TEXT_KEPT) return entry as SkippedSample;
    return { index: index as number, source: cut(source), reason: cut(reason) };
  });
}

/** Every sample asked for comes back exactly once, as a row or as a skipped entry; nothing else comes back. */
function checkSamples({ indices }: Batch, skipped: SkippedSample[], contract: BatchContract): void {
  const { asked, sampleCount } = contract;
  const pending = new Map<number, number>();
  for (const index of asked) pending.set(index, (pending.get(index) ?? 0) + 1);
  const take = (index: number, what: string) => {
    if (index < 0 || index >= sampleCount)
      throw new BatchProblem(`${what} is sample ${index}, but the generator has ${sampleCount} (0 to ${sampleCount - 1})`);
    const left = pending.get(index);
    if (left === undefined) throw new BatchProblem(`${what} is sample ${index}, which was not asked for (asked: ${listed(asked)})`);
    if (left === 0)
      throw new BatchProblem(`${what} is sample ${index} again: each sample asked for comes back once, in the batch or in skipped`);
    pending.set(index, left - 1);
  };
  indices.forEach((index, row) => take(index, `row ${row}`));
  skipped.forEach(({ index }, k) => take(index, `skipped[${k}]`));
  for (const [index, left] of pending) {
    if (left > 0) {
      throw new BatchProblem(
        `sample ${index} was asked for but is neither in the batch nor in skipped (list a sample you leave out in skipped, with the reason); ` +
          `sample: ${contract.sampleName(index)}`,
      );
    }
  }
}

/** Labels are classes of this generator, and each one-hot row is its label's; both feed training (the sparse loss reads labels). */
function checkLabels({ labels, oneHot, indices }: Batch, { classCount, sampleName }: BatchContract): void {
  // Labels first: a label outside the classes may have set a one in a neighbouring row's one-hot, and that row is not at fault.
  labels.forEach((label, row) => {
    if (label < 0 || label >= classCount) {
      const classes = `${classCount} classes (labels 0 to ${classCount - 1})`;
      throw new BatchProblem(`row ${row} has label ${label}, but there are ${classes}; sample: ${sampleName(indices[row]!)}`);
    }
  });
  labels.forEach((label, row) => {
    const start = row * classCount;
    for (let k = 0; k < classCount; k++) {
      if (oneHot[start + k] !== (k === label ? 1 : 0)) {
        throw new BatchProblem(`oneHot row ${row} is not the one-hot of its label ${label}; sample: ${sampleName(indices[row]!)}`);
      }
    }
  });
}

/** The batch when every value is finite; otherwise a failure naming the first bad value, or (skip) the batch without those rows. */
function finiteRows(batch: Batch, contract: BatchContract): Batch {
  if (allFinite(batch.x, 0, batch.x.length)) return batch;
  const [n, ...dims] = batch.shape;
  const rowSize = dims.reduce((product, d) => product * d, 1);
  const bad = Array.from({ length: n }, (_, row) => row).filter((row) => !allFinite(batch.x, row * rowSize, (row + 1) * rowSize));
  const where = (row: number) => {
    const at = batch.x.subarray(row * rowSize, (row + 1) * rowSize).findIndex((v) => !Number.isFinite(v));
    return `${batch.x[row * rowSize + at]} at ${position(at, dims)}`;
  };
  if (contract.onNonFinite === 'fail') {
    const row = bad[0]!;
    throw new BatchProblem(
      `row ${row} holds ${where(row)}; sample: ${contract.sampleName(batch.indices[row]!)} ` +
        '(set data.on_non_finite: skip to leave such samples out and count them)',
    );
  }
  const reasons = bad.map((row) => ({
    index: batch.indices[row]!,
    source: contract.sampleName(batch.indices[row]!),
    reason: `non-finite input: ${where(row)} (data.on_non_finite is "skip")`,
  }));
  return withoutRows(batch, new Set(bad), contract.classCount, reasons);
}

/** Where value `at` of one sample is: `y 3, x 4, channel 0`, with `z 2, ` first in a volume. */
function position(at: number, dims: number[]): string {
  const [channels, width, height] = [dims.at(-1)!, dims.at(-2)!, dims.at(-3)!];
  const pixel = Math.floor(at / channels);
  const plane = `y ${Math.floor(pixel / width) % height}, x ${pixel % width}, channel ${at % channels}`;
  return dims.length === 4 ? `z ${Math.floor(pixel / (width * height))}, ${plane}` : plane;
}

/**
 * Whether x[from..to) is all finite. A finite value times zero is zero and NaN or Infinity times zero is NaN, so
 * four running sums stay zero exactly when every value is finite: no branch per value, and memory speed.
 */
function allFinite(x: Float32Array, from: number, to: number): boolean {
  let a = 0,
    b = 0,
    c = 0,
    d = 0;
  let i = from;
  for (const end = to - ((to - from) & 3); i < end; i += 4) {
    a += x[i]! * 0;
    b += x[i + 1]! * 0;
    c += x[i + 2]! * 0;
    d += x[i + 3]! * 0;
  }
  for (; i < to; i++) a += x[i]! * 0;
  return a + b + c + d === 0;
}

/** A new batch without the given rows (the handler's own arrays are left as they are: it may still hold them). */
function withoutRows(batch: Batch, drop: Set<number>, classCount: number, reasons: SkippedSample[]): Batch {
  const [n, ...dims] = batch.shape;
  const rowSize = dims.reduce((product, d) => product * d, 1);
  const kept = Array.from({ length: n }, (_, row) => row).filter((row) => !drop.has(row));
  const x = new Float32Array(kept.length * rowSize);
  const oneHot = new Float32Array(kept.length * classCount);
  kept.forEach((row, k) => {
    x.set(batch.x.subarray(row * rowSize, (row + 1) * rowSize), k * rowSize);
    oneHot.set(batch.oneHot.subarray(row * classCount, (row + 1) * classCount), k * classCount);
  });
  return {
    x,
    shape: [kept.length, ...dims] as Batch['shape'],
    labels: Int32Array.from(kept, (row) => batch.labels[row]!),
    oneHot,
    indices: Uint32Array.from(kept, (row) => batch.indices[row]!),
    skipped: [...batch.skipped, ...reasons],
    ...(batch.applied && { applied: batch.applied }), // keyed by sample, so still right without the dropped rows
  };
}

/** The first few values of a list, for messages about a list that may be of any size. */
export function listed(values: ArrayLike<unknown>): string {
  const shown = Array.from({ length: Math.min(8, values.length) }, (_, i) => values[i]).map((v) =>
    typeof v === 'number' ? String(v) : kindOf(v),
  );
  return `[${shown.join(', ')}${values.length > 8 ? `, ... (${values.length} in all)` : ''}]`;
}
