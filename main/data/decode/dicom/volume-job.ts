// Runs in a decode worker thread: DICOM series as whole volumes (slice: volume), each slice at full depth, stacked, resampled, then intensity.
import type { AppliedIntensity, IntensitySpec, Window } from '../../intensity.js';
import type { FileList, SharedFileList } from '../../sources/file-list.js';
import type { DecodedRows, DecodeJob, RowFailure } from '../decode-jobs.js';
import { toChannelsFloat, writeResized, type RowTarget } from '../float-row.js';
import { dicomWindow } from '../full-depth.js';
import { SliceStack } from '../volume-resample.js';
import { decodeDicom, readDicomFile, type ImageHeader } from './index.js';

/** What a generator over DICOM volumes sends each decode thread once: every sample's slices, in shared memory. */
export interface DicomVolumesContext {
  kind: 'dicom-volumes';
  /** Every slice of every sample: sample after sample, each one's in depth order. */
  slices: SharedFileList;
  /** Per slice, its frame in its file. */
  frames: Uint32Array;
  /** Sample i is slices starts[i] to starts[i + 1] - 1: sampleCount + 1 entries. */
  starts: Uint32Array;
  target: RowTarget & { depth: number };
  intensity: IntensitySpec;
  /** Per slice, as for a 2-D image. */
  maxPixels: number;
  /** A series of more slices x rows x columns is refused once its first slice's header is read. */
  maxVoxels: number;
}

/** A decoded slice of a volume: one channel, and the header it came with. */
interface Slice {
  header: ImageHeader;
  pixels: Float32Array;
}

/** Decodes one sample's slices in order; a file holding several of them (a multi-frame series) is read once. */
class SliceReader {
  #path = '';
  #bytes: Uint8Array = new Uint8Array(0);

  constructor(readonly maxPixels: number) {}

  async read(path: string, frame: number): Promise<Slice> {
    if (path !== this.#path) [this.#bytes, this.#path] = [readDicomFile(path), path];
    const { header, frames, channels } = await decodeDicom(this.#bytes, path, { maxPixels: this.maxPixels, frame });
    // A volume is gray: a color slice (rare in a series) counts by its luma, as a color image to one channel does.
    return { header, pixels: channels === 1 ? frames[0]! : toChannelsFloat({ data: frames[0]!, channels }, 1) };
  }
}

const shape = (h: ImageHeader) => `${h.columns}x${h.rows} with ${h.samplesPerPixel} sample(s) per pixel`;

/** Sample `index`'s slices resampled to the target: its values, and the first slice's window (window: file). */
async function readVolume(
  files: FileList,
  context: DicomVolumesContext,
  index: number,
): Promise<{ values: Float32Array; fileWindow?: Window }> {
  const { starts, frames, target } = context;
  const start = starts[index]!;
  const count = starts[index + 1]! - start;
  const reader = new SliceReader(context.maxPixels);
  const firstPath = files.path(start);
  const first = await reader.read(firstPath, frames[start]!);
  const voxels = count * first.header.rows * first.header.columns;
  if (voxels > context.maxVoxels)
    throw new Error(
      `the series of ${firstPath} is ${count} slices of ${first.header.columns}x${first.header.rows}, ` +
        `${voxels} voxels: over max_voxels ${context.maxVoxels}`,
    );
  const stack = new SliceStack(count, target);
  for (let z = 0; z < count; z++) {
    const path = files.path(start + z);
    const slice = z === 0 ? first : await reader.read(path, frames[start + z]!);
    if (shape(slice.header) !== shape(first.header))
      throw new Error(
        `the series of ${firstPath} mixes slice sizes: slice ${z + 1} of ${count} (${path}) is ${shape(slice.header)}, ` +
          `its first slice ${shape(first.header)}; a volume's slices must share Rows, Columns and SamplesPerPixel`,
      );
    stack.put(z, { pixels: slice.pixels, height: slice.header.rows, width: slice.header.columns });
  }
  const fileWindow = dicomWindow(first.header);
  return { values: stack.resampled(), ...(fileWindow && { fileWindow }) };
}

/** One volume as one row: resampled, channels repeated, then the intensity of the whole volume (window: file is its first slice's). */
async function writeVolumeRow(
  files: FileList,
  context: DicomVolumesContext,
  index: number,
  out: Float32Array,
  at: number,
): Promise<AppliedIntensity> {
  const { values, fileWindow } = await readVolume(files, context, index);
  const { channels } = context.target;
  const data = channels === 1 ? values : toChannelsFloat({ data: values, channels: 1 }, channels);
  return writeResized({ values: data, ...(fileWindow && { fileWindow }) }, channels, context.intensity, out, at);
}

/** The rows that decoded, packed in order (in `x`, or in the job's `out`), and why the others did not. */
export async function decodeVolumes(job: DecodeJob, context: DicomVolumesContext, files: FileList): Promise<DecodedRows> {
  const { depth, height, width, channels } = context.target;
  const rowValues = depth * height * width * channels;
  const rows = job.indices.length;
  const x = job.out ? new Float32Array(job.out, 0, rows * rowValues) : new Float32Array(rows * rowValues);
  const ok = new Uint8Array(rows);
  const failures: RowFailure[] = [];
  const applied: AppliedIntensity[] = [];
  for (let row = 0; row < rows; row++) {
    try {
      applied.push(await writeVolumeRow(files, context, job.indices[row]!, x, applied.length * rowValues));
      ok[row] = 1;
    } catch (error) {
      failures.push({ row, reason: (error as Error).message });
    }
  }
  const packed = applied.length;
  if (job.out) return { ok, failures, applied };
  return { x: packed === rows ? x : x.slice(0, packed * rowValues), ok, failures, applied };
}
