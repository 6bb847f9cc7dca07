// Runs anywhere in main: reads IDX files (the MNIST format) by offset; a .gz file is inflated once to a cache file.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const DTYPES = {
  0x08: { name: 'ubyte', size: 1 },
  0x09: { name: 'byte', size: 1 },
  0x0b: { name: 'short', size: 2 },
  0x0c: { name: 'int', size: 4 },
  0x0d: { name: 'float', size: 4 },
  0x0e: { name: 'double', size: 8 },
} as const;

export interface IdxHeader {
  file: string;
  dtype: (typeof DTYPES)[keyof typeof DTYPES]['name'];
  /** Dimensions, the first being the record count. */
  dims: number[];
  /** Byte offset of the first record. */
  dataOffset: number;
  /** Bytes per record (the product of every dimension but the first, times the element size). */
  recordBytes: number;
}

export class IdxError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'IdxError';
  }
}

/** Read and check an (uncompressed) IDX header: magic, dtype, dimensions against the file size. */
export async function readIdxHeader(file: string): Promise<IdxHeader> {
  const handle = await fsp.open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(4 + 4 * 255);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (bytesRead < 4 || head[0] !== 0 || head[1] !== 0) throw new IdxError(file, 'not an IDX file (its first two bytes must be zero)');
    const type = DTYPES[head[2] as keyof typeof DTYPES];
    if (!type) throw new IdxError(file, `unknown IDX element type 0x${head[2]!.toString(16)}`);
    const rank = head[3]!;
    if (rank < 1 || bytesRead < 4 + 4 * rank) throw new IdxError(file, `truncated header (${rank} dimensions declared)`);
    const dims = Array.from({ length: rank }, (_, d) => head.readUInt32BE(4 + 4 * d));
    const dataOffset = 4 + 4 * rank;
    const recordBytes = dims.slice(1).reduce((a, b) => a * b, 1) * type.size;
    const expected = dataOffset + dims[0]! * recordBytes;
    if (size < expected)
      throw new IdxError(file, `truncated: header declares ${dims.join('x')} (${expected} bytes) but the file has ${size}`);
    return { file, dtype: type.name, dims, dataOffset, recordBytes };
  } finally {
    await handle.close();
  }
}

/**
 * A path whose bytes are the uncompressed IDX data: the file itself, or for .gz a copy inflated once (streamed,
 * so memory stays flat) into `cacheDir`, keyed by the source's path, size and mtime. Gzip cannot seek, and
 * training reads records at random offsets, so the inflated copy is what makes reading by offset possible.
 */
export async function uncompressedIdx(file: string, cacheDir: string): Promise<string> {
  if (!file.endsWith('.gz')) return file;
  const stat = await fsp.stat(file);
  const key = createHash('sha256')
    .update(`${path.resolve(file)}\0${stat.size}\0${stat.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const target = path.join(cacheDir, `${path.basename(file, '.gz')}.${key}`);
  if (
    await fsp.stat(target).then(
      () => true,
      () => false,
    )
  )
    return target;
  await fsp.mkdir(cacheDir, { recursive: true });
  const partial = `${target}.${process.pid}.partial`;
  try {
    await pipeline(createReadStream(file), createGunzip(), createWriteStream(partial));
    await fsp.rename(partial, target); // atomic: a crash never leaves a half-inflated file under the final name
  } catch (error) {
    await fsp.rm(partial, { force: true });
    throw new IdxError(file, `cannot inflate: ${(error as Error).message}`);
  }
  return target;
}
