// Runs in a decode worker thread: the `nifti` job, NIfTI slices to model rows through the float path (float-row.ts: channels, resize, intensity).
import type { AppliedIntensity, FloatImage, IntensitySpec } from '../../intensity.js';
import type { DecodedRows, RowFailure } from '../decode-jobs.js';
import { writeFloatRow, type RowTarget } from '../float-row.js';
import { NiftiDecodeError } from './errors.js';
import { readNiftiVoxels } from './read.js';
import { sliceRange, sliceToFloat32, type Axis, type Slice } from './voxels.js';
import type { NiftiHeader } from './header.js';

/** Decode these slices to rows; needs no context (the paths travel with the job: a few hundred bytes a batch). */
export interface NiftiJob {
  kind: 'nifti';
  /** Per row: the volume's file and the slice's index along `axis`. */
  paths: string[];
  slices: number[];
  axis: Axis;
  target: RowTarget;
  intensity: IntensitySpec;
  maxVoxels: number;
  /** Shared memory to write the rows into (see IterateOptions.reuseBuffers); else the result brings its own. */
  out?: SharedArrayBuffer;
}

/** cal_min..cal_max as the linear window that maps exactly that range to [0, 1] (DICOM's formula, intensity.ts). */
function displayWindow(header: NiftiHeader): FloatImage['fileWindow'] {
  const range = header.displayRange;
  if (!range) return undefined;
  return { center: (range.min + range.max + 1) / 2, width: range.max - range.min + 1 };
}

/** One slice as the float path's FloatImage: scaled values, and the file's display range as its window. */
export function sliceImage(slice: Slice, header: NiftiHeader): FloatImage {
  const fileWindow = displayWindow(header);
  return { width: slice.width, height: slice.height, channels: 1, data: slice.pixels, ...(fileWindow && { fileWindow }) };
}

/**
 * Slices of one volume that come together in a job are read from one read of the volume: the rows of a batch
 * name their volume, so the same file is not inflated twice for one batch.
 */
async function readSlices(path: string, axis: Axis, indices: number[], maxVoxels: number): Promise<Map<number, FloatImage>> {
  const lowest = Math.min(...indices);
  const highest = Math.max(...indices);
  const { header, raw, range } = await readNiftiVoxels(path, { maxVoxels }, (h) => {
    if (highest >= h.dims[axis]) throw new RangeError(`${path}: slice ${highest} along axis ${axis} is outside 0..${h.dims[axis] - 1}`);
    return { start: sliceRange(h, axis, lowest).start, end: sliceRange(h, axis, highest).end };
  });
  const images = new Map<number, FloatImage>();
  for (const index of new Set(indices)) images.set(index, sliceImage(sliceToFloat32(raw, header, range, axis, index), header));
  return images;
}

/** The rows, with their buffers listed for transfer back to the generator. */
export async function runNiftiJob(job: NiftiJob): Promise<{ value: DecodedRows; transfer: ArrayBuffer[] }> {
  const { target } = job;
  const rowValues = target.height * target.width * target.channels;
  const rows = job.paths.length;
  const x = job.out ? new Float32Array(job.out, 0, rows * rowValues) : new Float32Array(rows * rowValues);
  const ok = new Uint8Array(rows);
  const failures: RowFailure[] = [];
  const applied: AppliedIntensity[] = [];
  const byPath = new Map<string, number[]>();
  job.paths.forEach((path, row) => byPath.set(path, [...(byPath.get(path) ?? []), row]));
  const decoded = new Map<number, FloatImage | Error>();
  for (const [path, rowsOfPath] of byPath) {
    try {
      const images = await readSlices(
        path,
        job.axis,
        rowsOfPath.map((row) => job.slices[row]!),
        job.maxVoxels,
      );
      for (const row of rowsOfPath) decoded.set(row, images.get(job.slices[row]!)!);
    } catch (error) {
      for (const row of rowsOfPath) decoded.set(row, error as Error);
    }
  }
  let packed = 0;
  for (let row = 0; row < rows; row++) {
    const image = decoded.get(row)!;
    try {
      if (image instanceof Error) throw image;
      applied.push(writeFloatRow(image, target, job.intensity, x, packed * rowValues));
      ok[row] = 1;
      packed++;
    } catch (error) {
      // The generator names the file and slice; a NiftiDecodeError's reason is the rest.
      failures.push({ row, reason: error instanceof NiftiDecodeError ? error.reason : (error as Error).message });
    }
  }
  const transfer = [ok.buffer as ArrayBuffer];
  if (job.out) return { value: { ok, failures, applied }, transfer };
  const packedX = packed === rows ? x : x.slice(0, packed * rowValues);
  return { value: { x: packedX, ok, failures, applied }, transfer: [...transfer, packedX.buffer as ArrayBuffer] };
}
