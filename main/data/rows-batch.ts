// Runs anywhere in main: rows decoded on the pool as a Batch: failed rows skipped and named, or thrown under on_bad_file: fail.
import { makeBatch, type DataGenerator } from './data-generator.js';
import type { DecodedRows } from './decode/decode-jobs.js';
import type { AppliedIntensity } from './intensity.js';
import type { Batch, SkippedSample } from './types.js';

/** A file that could not be decoded under `on_bad_file: fail`. */
export class BadFileError extends Error {
  constructor(readonly skipped: SkippedSample[]) {
    const first = skipped[0]!;
    const more = skipped.length > 1 ? ` (and ${skipped.length - 1} more in this batch)` : '';
    super(`${first.source}: ${first.reason}${more}; on_bad_file is "fail" (set it to "skip" to train without such files)`);
    this.name = 'BadFileError';
  }
}

/** The 8-bit lookup table's mapping, before normalize. */
const EIGHT_BIT: AppliedIntensity = { kind: 'scale', fullScale: 255 };

export interface RowsBatchOptions {
  onBadFile: 'skip' | 'fail';
  label: (index: number) => number;
}

/**
 * The batch of `indices` from their decoded rows: each failed row skipped with its sample named, the kept samples'
 * labels, and the intensity each one got (by sample, for previews; none for a batch of 8-bit rows only).
 */
export function rowsBatch(
  generator: DataGenerator,
  indices: Uint32Array,
  { rows, x }: { rows: DecodedRows; x: Float32Array },
  options: RowsBatchOptions,
): Batch {
  const skipped = rows.failures.map(({ row, reason }) => ({
    index: indices[row]!,
    source: generator.describeSample(indices[row]!),
    reason,
  }));
  if (skipped.length > 0 && options.onBadFile === 'fail') throw new BadFileError(skipped);
  const kept = skipped.length ? indices.filter((_, row) => rows.ok[row] === 1) : indices.slice();
  const labels = Int32Array.from(kept, options.label);
  const applied = rows.applied && new Map(rows.applied.map((got, packed): [number, AppliedIntensity] => [kept[packed]!, got ?? EIGHT_BIT]));
  return makeBatch({
    x,
    shape: generator.sampleShape,
    indices: kept,
    labels,
    numClasses: generator.classNames.length,
    skipped,
    ...(applied && { applied }),
  });
}
