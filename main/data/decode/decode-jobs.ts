// Runs in a decode worker thread (or inline): turns a list of samples into model-ready float32 rows.
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { FileList, type SharedFileList } from '../sources/file-list.js';
import { decodeImage, type TargetSpec } from './image.js';

/** Where decoded pixels are kept between epochs (see decoded-cache.ts for the file layout). */
export interface CacheRef {
  file: string;
  statusOffset: number;
  dataOffset: number;
  recordBytes: number;
}

/** Per-sample state in a decoded cache: not yet written, decoded pixels stored, or unreadable. */
export const CACHE_EMPTY = 0;
export const CACHE_OK = 1;
export const CACHE_BAD = 2;

export interface FilesJob {
  kind: 'files';
  files: SharedFileList;
  indices: Uint32Array;
  target: TargetSpec & { height: number; width: number };
  /** channels x 256 values: the model input for each pixel value of each channel. */
  lut: Float32Array;
  /** With a cache: each sample's cache state when the job was sent. */
  cache?: CacheRef & { states: Uint8Array };
}

export interface IdxJob {
  kind: 'idx';
  file: string;
  dataOffset: number;
  recordBytes: number;
  indices: Uint32Array;
  lut: Float32Array;
  channels: number;
}

export interface ProbeJob {
  kind: 'probe';
  files: SharedFileList;
  indices: Uint32Array;
  target: TargetSpec;
}

export type DecodeJob = FilesJob | IdxJob | ProbeJob;

export interface RowFailure {
  row: number;
  reason: string;
}

/** The rows that decoded, packed in order, and why the others did not. */
export interface DecodedRows {
  x: Float32Array;
  ok: Uint8Array;
  failures: RowFailure[];
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

export type DecodeResult = DecodedRows | ProbedFile[];

/** Files are opened non-blocking so a FIFO named like an image cannot hang a worker forever. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const MIN_FILE_LIMIT = 64 * 2 ** 20;
let readBuffer = Buffer.allocUnsafe(1 << 16);

/**
 * The bytes of an image file, in a buffer this thread reuses (valid until its next call): open, read to the end,
 * close, and no stat, since per small file every system call shows. A directory fails its read (EISDIR); a FIFO
 * reads as empty; a device that never ends hits the size limit, which bounds what one bad file can allocate,
 * as no compressed image is much larger than its raw RGBA pixels.
 */
export function readImageFile(path: string, maxPixels: number): Uint8Array {
  const limit = Math.max(MIN_FILE_LIMIT, maxPixels * 8);
  const fd = openSync(path, OPEN_FLAGS);
  try {
    let filled = 0;
    for (;;) {
      if (filled === readBuffer.length) {
        if (filled >= limit) throw new Error(`file is larger than ${limit} bytes, more than any image under max_pixels could need`);
        readBuffer = Buffer.concat([readBuffer, Buffer.allocUnsafe(readBuffer.length)]);
      }
      const n = readSync(fd, readBuffer, filled, readBuffer.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    if (filled === 0) throw new Error('empty file (zero bytes, or not a regular file)');
    return readBuffer.subarray(0, filled);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new Error('a folder, not a file');
    if (code === 'EAGAIN') throw new Error('not a regular file (a pipe or device)');
    throw error;
  } finally {
    closeSync(fd);
  }
}

const cacheHandles = new Map<string, number>();

function cacheHandle(file: string): number {
  let fd = cacheHandles.get(file);
  if (fd === undefined) {
    fd = openSync(file, 'r+');
    cacheHandles.set(file, fd);
  }
  return fd;
}

/** Close cache files this thread opened (a finished cache may be renamed or deleted). */
export function closeCacheHandles(): void {
  for (const fd of cacheHandles.values()) closeSync(fd);
  cacheHandles.clear();
}

function writeRows(pixels: Uint8Array, lut: Float32Array, channels: number, out: Float32Array, at: number): void {
  for (let i = 0; i < pixels.length; i++) out[at + i] = lut[(i % channels) * 256 + pixels[i]!]!;
}

/** File lists this thread has been sent, by id; the few most recent are kept (the arrays are shared, not copied). */
const fileLists = new Map<string, FileList>();
const FILE_LISTS_KEPT = 4;

function fileList(shared: SharedFileList): FileList {
  let list = fileLists.get(shared.id);
  if (!list) {
    list = FileList.fromShared(shared);
    fileLists.set(shared.id, list);
    if (fileLists.size > FILE_LISTS_KEPT) fileLists.delete(fileLists.keys().next().value!);
  }
  return list;
}

async function decodeFiles(job: FilesJob): Promise<DecodedRows> {
  const { target, lut, cache, indices } = job;
  const files = fileList(job.files);
  const rowValues = target.height * target.width * target.channels;
  const x = new Float32Array(indices.length * rowValues);
  const ok = new Uint8Array(indices.length);
  const failures: RowFailure[] = [];
  const pixels = new Uint8Array(rowValues);
  let packed = 0;
  for (let row = 0; row < indices.length; row++) {
    const state = cache?.states[row] ?? CACHE_EMPTY;
    if (state === CACHE_BAD) {
      failures.push({ row, reason: 'unreadable when the decoded cache was written' });
      continue;
    }
    try {
      if (state === CACHE_OK) {
        readSync(cacheHandle(cache!.file), pixels, 0, rowValues, cache!.dataOffset + indices[row]! * cache!.recordBytes);
        writeRows(pixels, lut, target.channels, x, packed * rowValues);
      } else {
        const image = await decodeImage(readImageFile(files.path(indices[row]!), target.maxPixels), target);
        writeRows(image.pixels, lut, target.channels, x, packed * rowValues);
        if (cache) writeSync(cacheHandle(cache.file), image.pixels, 0, rowValues, cache.dataOffset + indices[row]! * cache.recordBytes);
      }
      ok[row] = 1;
      packed++;
    } catch (error) {
      failures.push({ row, reason: (error as Error).message });
    }
  }
  // A short batch is copied once so the transferred buffer holds only its rows.
  return { x: packed === indices.length ? x : x.slice(0, packed * rowValues), ok, failures };
}

const idxHandles = new Map<string, number>();

function decodeIdx(job: IdxJob): DecodedRows {
  let fd = idxHandles.get(job.file);
  if (fd === undefined) idxHandles.set(job.file, (fd = openSync(job.file, 'r')));
  const n = job.indices.length;
  const record = new Uint8Array(job.recordBytes);
  const x = new Float32Array(n * job.recordBytes);
  for (let row = 0; row < n; row++) {
    const got = readSync(fd, record, 0, job.recordBytes, job.dataOffset + job.indices[row]! * job.recordBytes);
    if (got !== job.recordBytes) throw new Error(`${job.file}: record ${job.indices[row]} is truncated`);
    writeRows(record, job.lut, job.channels, x, row * job.recordBytes);
  }
  return { x, ok: new Uint8Array(n).fill(1), failures: [] };
}

async function probeFiles(job: ProbeJob): Promise<ProbedFile[]> {
  const files = fileList(job.files);
  const probed: ProbedFile[] = [];
  for (const index of job.indices) {
    try {
      const bytes = readImageFile(files.path(index), job.target.maxPixels);
      const { original } = await decodeImage(bytes, job.target);
      probed.push({ ok: true, ...original, bytes: bytes.length });
    } catch (error) {
      probed.push({ ok: false, reason: (error as Error).message });
    }
  }
  return probed;
}

export function runDecodeJob(job: DecodeJob): Promise<DecodeResult> {
  switch (job.kind) {
    case 'files':
      return decodeFiles(job);
    case 'idx':
      return Promise.resolve(decodeIdx(job));
    case 'probe':
      return probeFiles(job);
  }
}

/** The buffers a result can hand over to the other thread without copying. */
export function transferables(result: DecodeResult): ArrayBuffer[] {
  return Array.isArray(result) ? [] : [result.x.buffer as ArrayBuffer, result.ok.buffer as ArrayBuffer];
}
