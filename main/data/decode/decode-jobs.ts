// Runs in a decode worker thread: turns batches of sample indices into model-ready float32 rows (images, DICOM volumes), probes files, or decodes a DICOM file.
import { openSync, readSync, writeSync } from 'node:fs';
import type { AppliedIntensity, IntensitySpec } from '../intensity.js';
import { FileList, type SharedFileList } from '../sources/file-list.js';
import { decodeDicom, readDicomFile, type DecodedDicom } from './dicom/index.js';
import { decodeVolumes, type DicomVolumesContext } from './dicom/volume-job.js';
import { decodeFloatRecord, encodeFloatRecord } from './float-record.js';
import { resizedImage, writeResized, type ResizedImage } from './float-row.js';
import { decodeFullDepth } from './full-depth.js';
import { decodeImage, type TargetImage, type TargetSpec } from './image.js';
import { runNiftiJob, type NiftiJob } from './nifti/job.js';
import { readImageFileReused } from './read-file.js';

/** Where decoded pixels are kept between epochs (see decoded-cache.ts for the file layout). */
export interface CacheRef {
  file: string;
  dataOffset: number;
  recordBytes: number;
  /** u8: 8-bit pixels (full-depth images stay uncached); f32: a float record (decoded-cache.ts) for every image. */
  values: 'u8' | 'f32';
}

/** A sample's entry in a decoded cache's slot table: not cached (yet), or else 1 + its record's slot. */
export const CACHE_EMPTY = 0;

/** What a generator over image files sends each decode thread once (see PoolContext). */
export interface FilesContext {
  kind: 'files';
  files: SharedFileList;
  target: TargetSpec & { height: number; width: number };
  /** channels x 256 values: the model input for each pixel value of each channel (8-bit images under the default window). */
  lut: Float32Array;
  /** How full-depth images (and every image when `window` is set) become model inputs. */
  intensity: IntensitySpec;
  /** Entry i is frame frames[i] of files.path(i) (multi-frame DICOM); absent: frame 0 of every file. */
  frames?: Uint32Array;
  cache?: CacheRef;
}

/** What a generator over an IDX file sends each decode thread once. */
export interface IdxContext {
  kind: 'idx';
  file: string;
  dataOffset: number;
  recordBytes: number;
  lut: Float32Array;
  channels: number;
}

export type DecodeContext = FilesContext | IdxContext | DicomVolumesContext;

/**
 * Decode these samples. With a cache, `slots` holds each one's slot-table entry, and the samples not cached yet
 * go, as they decode, to consecutive slots from `firstNewSlot` (written at once at the end of the job).
 */
export interface DecodeJob {
  kind: 'decode';
  indices: Uint32Array;
  slots?: Uint32Array;
  firstNewSlot?: number;
  /** Shared memory to write the rows into (see IterateOptions.reuseBuffers); else the result brings its own. */
  out?: SharedArrayBuffer;
}

/** Decode these files in full at their own size, reporting what they are (a scan). */
export interface ProbeJob {
  kind: 'probe';
  indices: Uint32Array;
}

/** Decode one DICOM file whole, every frame as float32 at its own size; needs no context. */
export interface DicomJob {
  kind: 'dicom';
  path: string;
  /** Also return the identifying fields (patient and study keys): only for the handler that labels and splits by them. */
  identifying?: boolean;
}

export type Job = DecodeJob | ProbeJob | DicomJob | NiftiJob;

export interface RowFailure {
  row: number;
  reason: string;
}

/** The rows that decoded, packed in order (in `x`, or in the job's `out`), and why the others did not. */
export interface DecodedRows {
  x?: Float32Array;
  ok: Uint8Array;
  failures: RowFailure[];
  /** Per packed row: the window or scaling its values got (null: the 8-bit lookup table); absent when every row is null. */
  applied?: (AppliedIntensity | null)[];
  /** Rows that decoded but were not written to the cache (full-depth images in an 8-bit cache); not given slots. */
  uncached?: number[];
}

export interface ProbedFile {
  ok: boolean;
  reason?: string;
  width?: number;
  height?: number;
  channels?: number;
  format?: string;
  bytes?: number;
}

export type DecodeResult = DecodedRows | ProbedFile[] | DecodedDicom;

const handles = new Map<string, number>();

/** One descriptor per file per thread, kept for the thread's life (the pool closes with its last user). */
function handle(file: string, flags: 'r' | 'r+'): number {
  let fd = handles.get(file);
  if (fd === undefined) handles.set(file, (fd = openSync(file, flags)));
  return fd;
}

/** Where a job's rows go: the job's shared buffer, or a new one that travels back with the result. */
function rowsBuffer(job: DecodeJob, values: number): Float32Array {
  return job.out ? new Float32Array(job.out, 0, values) : new Float32Array(values);
}

/** Decoded pixels waiting to be written to the cache at the end of a job; reused, as jobs run one at a time. */
let pending = new Uint8Array(0);

function pendingBuffer(bytes: number): Uint8Array {
  if (pending.length < bytes) pending = new Uint8Array(bytes);
  return pending;
}

/** Pixels to model inputs through the lookup table; gray and RGB get loops without a per-value modulo. */
function writeRows(pixels: Uint8Array, lut: Float32Array, channels: number, out: Float32Array, at: number): void {
  const n = pixels.length;
  if (channels === 1) {
    for (let i = 0; i < n; i++) out[at + i] = lut[pixels[i]!]!;
  } else if (channels === 3) {
    for (let i = 0; i < n; i += 3) {
      out[at + i] = lut[pixels[i]!]!;
      out[at + i + 1] = lut[256 + pixels[i + 1]!]!;
      out[at + i + 2] = lut[512 + pixels[i + 2]!]!;
    }
  } else {
    for (let i = 0; i < n; i++) out[at + i] = lut[(i % channels) * 256 + pixels[i]!]!;
  }
}

/** File lists by id: the arrays are shared memory, so a view costs nothing but is worth keeping across jobs. */
const fileLists = new Map<string, FileList>();

function fileList(shared: SharedFileList): FileList {
  let list = fileLists.get(shared.id);
  if (!list) {
    list = new FileList(shared);
    fileLists.set(shared.id, list);
    if (fileLists.size > 8) fileLists.delete(fileLists.keys().next().value!);
  }
  return list;
}

/** One image at the model's size and channels, before intensity: 8-bit pixels, or full-depth values. */
type RowValues = { u8: Uint8Array } | { resized: ResizedImage };

/** Decode one listed file (a frame of it, for multi-frame DICOM) to the model's size, at its own depth. */
async function decodeRow(bytes: Uint8Array, context: FilesContext, frame: number, file: string): Promise<RowValues> {
  const full = await decodeFullDepth(bytes, context.target.maxPixels, frame, file);
  if (full) return { resized: resizedImage(full.image, context.target) };
  return { u8: (await decodeImage(bytes, context.target)).pixels };
}

/** 8-bit pixels to model inputs: under the default window through the lookup table (exact, fast), else in float. */
function emitPixels(pixels: Uint8Array, context: FilesContext, out: Float32Array, at: number): AppliedIntensity | null {
  const { channels } = context.target;
  if (context.intensity.window.kind === 'default') {
    writeRows(pixels, context.lut, channels, out, at);
    return null;
  }
  return writeResized(asResized(pixels), channels, context.intensity, out, at);
}

function emitRow(values: RowValues, context: FilesContext, out: Float32Array, at: number): AppliedIntensity | null {
  if ('u8' in values) return emitPixels(values.u8, context, out, at);
  return writeResized(values.resized, context.target.channels, context.intensity, out, at);
}

function asResized(pixels: Uint8Array): ResizedImage {
  return { values: Float32Array.from(pixels), fullScale: 255 };
}

/** The decoded record of a row for the cache, or null when this cache cannot hold it (full depth in an 8-bit cache). */
function cacheRecord(values: RowValues, cache: CacheRef): Uint8Array | null {
  if (cache.values === 'u8') return 'u8' in values ? values.u8 : null;
  return encodeFloatRecord('u8' in values ? asResized(values.u8) : values.resized);
}

/** A float record from the cache to model inputs. */
function emitFloatRecord(record: Uint8Array, context: FilesContext, out: Float32Array, at: number): AppliedIntensity {
  return writeResized(decodeFloatRecord(record), context.target.channels, context.intensity, out, at);
}

async function decodeFiles(job: DecodeJob, context: FilesContext): Promise<DecodedRows> {
  const { target, cache, frames, lut } = context;
  /** An 8-bit cache under the default window: every cached row goes through the lookup table. */
  const lutRows = cache?.values === 'u8' && context.intensity.window.kind === 'default';
  const { indices, slots } = job;
  const files = fileList(context.files);
  const rowValues = target.height * target.width * target.channels;
  const x = rowsBuffer(job, indices.length * rowValues);
  const ok = new Uint8Array(indices.length);
  const failures: RowFailure[] = [];
  const applied: (AppliedIntensity | null)[] = [];
  const uncached: number[] = [];
  const record = new Uint8Array(cache?.recordBytes ?? 0);
  const fresh = cache ? pendingBuffer(indices.length * cache.recordBytes) : null;
  let freshCount = 0;
  for (let row = 0; row < indices.length; row++) {
    const slot = slots?.[row] ?? CACHE_EMPTY;
    try {
      const at = applied.length * rowValues;
      if (slot !== CACHE_EMPTY) {
        // Warm epochs run this for every sample: kept as plain as it was before float records existed.
        readSync(handle(cache!.file, 'r+'), record, 0, cache!.recordBytes, cache!.dataOffset + (slot - 1) * cache!.recordBytes);
        if (!lutRows) applied.push(cache!.values === 'u8' ? emitPixels(record, context, x, at) : emitFloatRecord(record, context, x, at));
        else {
          writeRows(record, lut, target.channels, x, at);
          applied.push(null);
        }
      } else {
        const file = files.path(indices[row]!);
        const values = await decodeRow(readImageFileReused(file, target.maxPixels), context, frames?.[indices[row]!] ?? 0, file);
        const bytes = cache ? cacheRecord(values, cache) : null;
        if (bytes) fresh!.set(bytes, freshCount++ * cache!.recordBytes);
        else if (cache) uncached.push(row);
        applied.push(emitRow(values, context, x, at));
      }
      ok[row] = 1;
    } catch (error) {
      failures.push({ row, reason: (error as Error).message });
    }
  }
  if (cache && freshCount > 0)
    writeSync(
      handle(cache.file, 'r+'),
      fresh!,
      0,
      freshCount * cache.recordBytes,
      cache.dataOffset + job.firstNewSlot! * cache.recordBytes,
    );
  const packed = applied.length;
  const extras = { ...(applied.some(Boolean) && { applied }), ...(uncached.length > 0 && { uncached }) };
  if (job.out) return { ok, failures, ...extras };
  // A short batch is copied once so the transferred buffer holds only its rows.
  return { x: packed === indices.length ? x : x.slice(0, packed * rowValues), ok, failures, ...extras };
}

function decodeIdx(job: DecodeJob, context: IdxContext): DecodedRows {
  const { indices } = job;
  const { file, recordBytes, dataOffset } = context;
  const record = new Uint8Array(recordBytes);
  const x = rowsBuffer(job, indices.length * recordBytes);
  for (let row = 0; row < indices.length; row++) {
    const got = readSync(handle(file, 'r'), record, 0, recordBytes, dataOffset + indices[row]! * recordBytes);
    if (got !== recordBytes) throw new Error(`${file}: record ${indices[row]} is truncated`);
    writeRows(record, context.lut, context.channels, x, row * recordBytes);
  }
  return { x: job.out ? undefined : x, ok: new Uint8Array(indices.length).fill(1), failures: [] };
}

async function probeFiles(job: ProbeJob, context: FilesContext): Promise<ProbedFile[]> {
  const files = fileList(context.files);
  // Probing decodes fully (a truncated file only shows itself at the end) but never resizes.
  const target = { ...context.target, height: undefined, width: undefined };
  const probed: ProbedFile[] = [];
  for (const index of job.indices) {
    try {
      const file = files.path(index);
      const bytes = readImageFileReused(file, target.maxPixels);
      const original = await probeImage(bytes, target, file);
      probed.push({ ok: true, ...original, bytes: bytes.length });
    } catch (error) {
      probed.push({ ok: false, reason: (error as Error).message });
    }
  }
  return probed;
}

/** What an image is, at any depth: full-depth images are decoded as such (a DICOM file is not an 8-bit image at all). */
export async function probeImage(bytes: Uint8Array, spec: TargetSpec, file: string): Promise<TargetImage['original']> {
  const full = await decodeFullDepth(bytes, spec.maxPixels, 0, file);
  return full ? full.original : (await decodeImage(bytes, spec)).original;
}

async function decodeDicomFile(job: DicomJob): Promise<{ value: DecodedDicom; transfer: ArrayBuffer[] }> {
  const decoded = await decodeDicom(readDicomFile(job.path), job.path, { identifying: job.identifying === true });
  return { value: decoded, transfer: decoded.frames.map((frame) => frame.buffer as ArrayBuffer) };
}

export async function runJob(job: Job, context: DecodeContext | undefined): Promise<{ value: DecodeResult; transfer?: ArrayBuffer[] }> {
  if (job.kind === 'dicom') return decodeDicomFile(job);
  if (job.kind === 'nifti') return runNiftiJob(job);
  if (!context) throw new Error('a decode job came without its context');
  if (job.kind === 'probe') {
    if (context.kind !== 'files') throw new Error('only image files can be probed');
    return { value: await probeFiles(job, context) };
  }
  const rows =
    context.kind === 'files'
      ? await decodeFiles(job, context)
      : context.kind === 'dicom-volumes'
        ? await decodeVolumes(job, context, fileList(context.slices))
        : decodeIdx(job, context);
  return { value: rows, transfer: [rows.ok.buffer as ArrayBuffer, ...(rows.x ? [rows.x.buffer as ArrayBuffer] : [])] };
}
