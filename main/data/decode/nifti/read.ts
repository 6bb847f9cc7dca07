// Runs wherever NIfTI is read: the bytes of a .nii or .nii.gz file's header and of just the voxels asked for, each bounded before it is read.
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { NiftiDecodeError } from './errors.js';
import { HEADER_BYTES, parseHeader, type NiftiHeader, type NiftiLimits } from './header.js';

/** Files are opened non-blocking and must be regular files, so a FIFO named like a volume cannot hang a thread. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** A run of voxels in file order (i fastest, then j, then k): [start, end). */
export interface VoxelRange {
  start: number;
  end: number;
}

export interface ReadVoxels {
  header: NiftiHeader;
  /** The raw bytes of the range's voxels, in the file's datatype and byte order. */
  raw: Uint8Array;
  range: VoxelRange;
  /** Whether the file was gzip-compressed. */
  gzip: boolean;
}

/** Which voxels of a volume to read, once its header is known (the whole volume when absent). */
export type PickRange = (header: NiftiHeader) => VoxelRange;

const whole: PickRange = (header) => ({ start: 0, end: header.voxels });

function openRegular(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NiftiDecodeError(file, code === 'ENOENT' ? 'no such file' : `cannot open: ${code ?? (error as Error).message}`, {
      cause: error,
    });
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new NiftiDecodeError(file, 'not a regular file');
  }
  return { fd, size: stat.size };
}

function isGzip(fd: number): boolean {
  const magic = new Uint8Array(2);
  return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}

function checkRange(header: NiftiHeader, range: VoxelRange, file: string): void {
  const { start, end } = range;
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start < end && end <= header.voxels))
    throw new NiftiDecodeError(file, `voxels [${start}, ${end}) are outside the volume's ${header.voxels}`);
}

/** The header of a .nii or .nii.gz, inflating no more than the header itself. */
export async function readNiftiHeader(file: string, limits?: NiftiLimits): Promise<{ header: NiftiHeader; gzip: boolean }> {
  const { header, gzip } = await readNiftiVoxels(file, limits, null);
  return { header, gzip };
}

/**
 * The header, then the voxels `pick` asks for (the whole volume by default; `null` for none). A plain file must be
 * as long as its header says before a byte of voxels is read; a gzip stream is inflated only up to the last voxel
 * asked for, so neither a header over a short file nor a stream that inflates without end costs more than the
 * declared voxels, which the header check has already held to max_voxels.
 */
export async function readNiftiVoxels(
  file: string,
  limits: NiftiLimits | undefined,
  pick: PickRange | null = whole,
): Promise<{ header: NiftiHeader; raw: Uint8Array; range: VoxelRange; gzip: boolean }> {
  const { fd, size } = openRegular(file);
  let closeFd = true;
  try {
    if (size === 0) throw new NiftiDecodeError(file, 'empty file');
    if (isGzip(fd)) {
      closeFd = false; // the read stream closes it
      return { ...(await readGzip(file, fd, limits, pick)), gzip: true };
    }
    const head = new Uint8Array(Math.min(HEADER_BYTES, size));
    readSync(fd, head, 0, head.length, 0);
    const header = parseHeader(head, file, limits);
    const needed = header.voxOffset + header.voxels * header.bytesPerVoxel;
    if (size < needed)
      throw new NiftiDecodeError(
        file,
        `truncated: the header declares ${needed} bytes (voxels from byte ${header.voxOffset}), the file has ${size}`,
      );
    if (!pick) return { header, raw: new Uint8Array(0), range: { start: 0, end: 0 }, gzip: false };
    const range = pick(header);
    checkRange(header, range, file);
    const raw = new Uint8Array((range.end - range.start) * header.bytesPerVoxel);
    const got = readSync(fd, raw, 0, raw.length, header.voxOffset + range.start * header.bytesPerVoxel);
    if (got !== raw.length) throw new NiftiDecodeError(file, `short read: ${got} of ${raw.length} voxel bytes`);
    return { header, raw, range, gzip: false };
  } finally {
    if (closeFd) closeSync(fd);
  }
}

/** Collects an inflating stream's bytes: first the header, then only the bytes of the range asked for. */
class GzipCollector {
  head = new Uint8Array(HEADER_BYTES);
  headFilled = 0;
  header: NiftiHeader | null = null;
  raw = new Uint8Array(0);
  range: VoxelRange = { start: 0, end: 0 };
  /** Where raw's first byte is in the inflated file, and how many inflated bytes have gone by. */
  rawStart = 0;
  inflated = 0;

  constructor(
    readonly file: string,
    readonly limits: NiftiLimits | undefined,
    readonly pick: PickRange | null,
  ) {}

  /** Take one inflated chunk; true once everything asked for is in. */
  take(chunk: Uint8Array): boolean {
    const at = this.inflated;
    this.inflated += chunk.length;
    if (!this.header) {
      const part = chunk.subarray(0, HEADER_BYTES - this.headFilled);
      this.head.set(part, this.headFilled);
      this.headFilled += part.length;
      if (this.headFilled < HEADER_BYTES) return false;
      if (this.parse()) return true;
      this.takeTail();
    }
    const from = Math.max(at, this.rawStart);
    const to = Math.min(this.inflated, this.rawStart + this.raw.length);
    if (from < to) this.raw.set(chunk.subarray(from - at, to - at), from - this.rawStart);
    return this.inflated >= this.rawStart + this.raw.length;
  }

  /** Parse the header from what has arrived; true when nothing more is wanted (a header-only read). */
  parse(): boolean {
    const header = parseHeader(this.head.subarray(0, this.headFilled), this.file, this.limits);
    this.header = header;
    if (!this.pick) return true;
    this.range = this.pick(header);
    checkRange(header, this.range, this.file);
    this.rawStart = header.voxOffset + this.range.start * header.bytesPerVoxel;
    this.raw = new Uint8Array((this.range.end - this.range.start) * header.bytesPerVoxel);
    return false;
  }

  /** At the end of the stream: a short header (a tiny volume) is parsed now; anything missing is a truncated file. */
  finish(): void {
    if (!this.header) {
      if (this.parse()) return;
      this.takeTail();
    }
    const wanted = this.rawStart + this.raw.length;
    if (this.inflated < wanted)
      throw new NiftiDecodeError(
        this.file,
        `truncated: inflates to ${this.inflated} bytes, the header declares voxels up to byte ${wanted}`,
      );
  }

  /** Voxels that arrived with the header (all of them, in a volume smaller than HEADER_BYTES). */
  takeTail(): void {
    if (this.rawStart >= this.headFilled) return;
    const tail = this.head.subarray(this.rawStart, Math.min(this.headFilled, this.rawStart + this.raw.length));
    this.raw.set(tail);
  }
}

async function readGzip(file: string, fd: number, limits: NiftiLimits | undefined, pick: PickRange | null) {
  const source = createReadStream('', { fd, highWaterMark: 1 << 20 });
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  const collector = new GzipCollector(file, limits, pick);
  let done = false;
  try {
    for await (const chunk of gunzip) {
      if (collector.take(chunk as Uint8Array)) {
        done = true;
        break;
      }
    }
  } catch (error) {
    if (error instanceof NiftiDecodeError) throw error;
    // zlib's "unexpected end of file": a cut file, said as the volume's truncation.
    if ((error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR') collector.finish();
    throw new NiftiDecodeError(file, `gzip stream is corrupt: ${(error as Error).message}`, { cause: error });
  } finally {
    source.destroy();
    gunzip.destroy();
  }
  if (!done) collector.finish();
  return { header: collector.header!, raw: collector.raw, range: collector.range };
}
