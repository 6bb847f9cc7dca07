// Runs in a decode worker thread: the `nifti` job, NIfTI slices (or whole volumes) to model rows through the float path (channels, resize, intensity).
import type { AppliedIntensity, FloatImage, IntensitySpec } from '../../intensity.js';
import type { DecodedRows, RowFailure } from '../decode-jobs.js';
import { toChannelsFloat, writeFloatRow, writeResized, type RowTarget } from '../float-row.js';
import { NiftiDecodeError } from './errors.js';
import { keep, keepable, keptVolume, stampOf, type KeptVolume } from './kept-volumes.js';
import { readNiftiVoxels, type VoxelRange } from './read.js';
import { resampleVolume } from './volume-row.js';
import { sliceOfValues, sliceRange, valuesOf, type Axis, type Slice } from './voxels.js';
import type { NiftiHeader } from './header.js';

/** Decode these slices to rows; needs no context (the paths travel with the job: a few hundred bytes a batch). */
export interface NiftiJob {
  kind: 'nifti';
  /** Per row: the volume's file and the slice's index along `axis` (unused for whole volumes). */
  paths: string[];
  slices: number[];
  axis: Axis;
  /** With a depth, each row is a whole volume, resampled to depth x height x width (volume-row.ts). */
  target: RowTarget & { depth?: number };
  intensity: IntensitySpec;
  maxVoxels: number;
  /** Bytes of whole volumes this thread may keep between jobs (kept-volumes.ts). */
  keepBytes: number;
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
 * The slices `indices` of one volume. A volume this thread keeps is not read at all; one small enough to keep is
 * read whole and kept; a larger one only from its first asked-for slice to its last. Slices of one volume in the
 * same job share that one read.
 */
async function readSlices(path: string, job: NiftiJob, indices: number[]): Promise<Map<number, FloatImage>> {
  const { axis } = job;
  const images = (volume: KeptVolume, range: VoxelRange) =>
    new Map([...new Set(indices)].map((k) => [k, sliceImage(sliceOfValues(volume.values, volume.header, range, axis, k), volume.header)]));
  const highest = Math.max(...indices);
  const checkIndex = (header: NiftiHeader) => {
    if (highest >= header.dims[axis]) throw new RangeError(`slice ${highest} along axis ${axis} is outside 0..${header.dims[axis] - 1}`);
  };
  const known = keptVolume(path);
  if (known) {
    checkIndex(known.header);
    return images(known, { start: 0, end: known.header.voxels });
  }
  const stamp = stampOf(path);
  const { header, raw, range } = await readNiftiVoxels(path, { maxVoxels: job.maxVoxels }, (h) => {
    checkIndex(h);
    if (stamp && keepable(h.voxels * h.bytesPerVoxel, job.keepBytes)) return { start: 0, end: h.voxels };
    return { start: sliceRange(h, axis, Math.min(...indices)).start, end: sliceRange(h, axis, highest).end };
  });
  const volume = { header, values: valuesOf(raw, header) };
  if (range.start === 0 && range.end === header.voxels && stamp) keep(path, stamp, volume, job.keepBytes);
  return images(volume, range);
}

/** A whole volume: kept by this thread, or read and kept when it fits the budget. */
async function readVolume(path: string, job: NiftiJob): Promise<KeptVolume> {
  const known = keptVolume(path);
  if (known) return known;
  const stamp = stampOf(path);
  const { header, raw } = await readNiftiVoxels(path, { maxVoxels: job.maxVoxels });
  const volume = { header, values: valuesOf(raw, header) };
  if (stamp) keep(path, stamp, volume, job.keepBytes);
  return volume;
}

/**
 * One volume as one row: resampled, channels repeated, then the intensity of the whole volume (minmax and zscore
 * over all its voxels, not slice by slice; its cal_min / cal_max as the file's window).
 */
function writeVolumeRow(volume: KeptVolume, job: NiftiJob, depth: number, out: Float32Array, at: number): AppliedIntensity {
  const { target } = job;
  const values = resampleVolume(volume, job.axis, { ...target, depth });
  const data = target.channels === 1 ? values : toChannelsFloat({ data: values, channels: 1 }, target.channels);
  const fileWindow = displayWindow(volume.header);
  return writeResized({ values: data, ...(fileWindow && { fileWindow }) }, target.channels, job.intensity, out, at);
}

/** Per row, what was read for it: a slice, a whole volume, or why it could not be read. */
async function readRows(job: NiftiJob): Promise<Map<number, FloatImage | KeptVolume | Error>> {
  const byPath = new Map<string, number[]>();
  job.paths.forEach((path, row) => byPath.set(path, [...(byPath.get(path) ?? []), row]));
  const decoded = new Map<number, FloatImage | KeptVolume | Error>();
  for (const [path, rowsOfPath] of byPath) {
    try {
      if (job.target.depth !== undefined) {
        const volume = await readVolume(path, job);
        for (const row of rowsOfPath) decoded.set(row, volume);
        continue;
      }
      const images = await readSlices(
        path,
        job,
        rowsOfPath.map((row) => job.slices[row]!),
      );
      for (const row of rowsOfPath) decoded.set(row, images.get(job.slices[row]!)!);
    } catch (error) {
      for (const row of rowsOfPath) decoded.set(row, error as Error);
    }
  }
  return decoded;
}

/** The rows, with their buffers listed for transfer back to the generator. */
export async function runNiftiJob(job: NiftiJob): Promise<{ value: DecodedRows; transfer: ArrayBuffer[] }> {
  const { target } = job;
  const depth = target.depth;
  const rowValues = (depth ?? 1) * target.height * target.width * target.channels;
  const rows = job.paths.length;
  const x = job.out ? new Float32Array(job.out, 0, rows * rowValues) : new Float32Array(rows * rowValues);
  const ok = new Uint8Array(rows);
  const failures: RowFailure[] = [];
  const applied: AppliedIntensity[] = [];
  const decoded = await readRows(job);
  let packed = 0;
  for (let row = 0; row < rows; row++) {
    const image = decoded.get(row)!;
    try {
      if (image instanceof Error) throw image;
      const at = packed * rowValues;
      applied.push(
        depth === undefined
          ? writeFloatRow(image as FloatImage, target, job.intensity, x, at)
          : writeVolumeRow(image as KeptVolume, job, depth, x, at),
      );
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
