// Runs anywhere in main: the decoded-pixel cache file that later epochs stream instead of decoding every image again.
import { createHash } from 'node:crypto';
import { closeSync, openSync, promises as fsp, writeSync } from 'node:fs';
import path from 'node:path';
import { CACHE_EMPTY, type CacheRef } from './decode/decode-jobs.js';

/**
 * Layout: a 64-byte header (magic, version, record count, record size), one state byte per sample
 * (empty / stored / unreadable), then fixed-size records of decoded uint8 pixels at data offset + index x size.
 * Workers write records during the first epoch; this thread keeps the states and writes them out (flush) only
 * after the records they vouch for were written, so a run killed half-way leaves a valid, partly filled cache
 * that the next run continues from. The file name is a digest of everything that decides the pixels, so a
 * changed file, list or target size simply names another cache.
 */
const MAGIC = 'TRIBCACH';
const VERSION = 1;
const HEADER_BYTES = 64;
const PAGE = 4096;

export class DecodedCache {
  readonly ref: CacheRef;
  constructor(
    file: string,
    readonly count: number,
    recordBytes: number,
    readonly states: Uint8Array,
  ) {
    this.ref = { file, statusOffset: HEADER_BYTES, dataOffset: dataOffset(count), recordBytes };
  }

  /** Write the states out; every record marked stored has been written by a worker before its job answered. */
  flush(): void {
    const fd = openSync(this.ref.file, 'r+');
    try {
      writeSync(fd, this.states, 0, this.count, this.ref.statusOffset);
    } finally {
      closeSync(fd);
    }
  }

  /** How many samples still need decoding from their files. */
  get missing(): number {
    let n = 0;
    for (const state of this.states) if (state === CACHE_EMPTY) n++;
    return n;
  }
}

function dataOffset(count: number): number {
  return Math.ceil((HEADER_BYTES + count) / PAGE) * PAGE;
}

/** A digest of the inputs (each file's path, size and mtime) and of the decode settings. */
export async function cacheKey(paths: (i: number) => string, count: number, settings: unknown): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(settings));
  const CHUNK = 256; // stat in parallel chunks: tens of thousands of sequential stats take seconds
  for (let start = 0; start < count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK);
    const stats = await Promise.all(
      Array.from({ length: end - start }, (_, k) => fsp.stat(paths(start + k)).catch(() => null)),
    );
    stats.forEach((s, k) => hash.update(`${paths(start + k)}\0${s?.size ?? -1}\0${s?.mtimeMs ?? -1}\n`));
  }
  return hash.digest('hex').slice(0, 24);
}

/** Open the cache named by `key` in `dir`, creating it (sparse, all states empty) when absent or unusable. */
export async function openDecodedCache(dir: string, key: string, count: number, recordBytes: number): Promise<DecodedCache> {
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${key}.tcache`);
  const existing = await readStates(file, count, recordBytes);
  if (existing) return new DecodedCache(file, count, recordBytes, existing);
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(VERSION, 8);
  header.writeUInt32LE(count, 12);
  header.writeUInt32LE(recordBytes, 16);
  const partial = `${file}.${process.pid}.partial`;
  const handle = await fsp.open(partial, 'w');
  try {
    await handle.write(header, 0, HEADER_BYTES, 0);
    await handle.truncate(dataOffset(count) + count * recordBytes); // sparse: costs no disk until written
  } finally {
    await handle.close();
  }
  await fsp.rename(partial, file);
  return new DecodedCache(file, count, recordBytes, new Uint8Array(count));
}

async function readStates(file: string, count: number, recordBytes: number): Promise<Uint8Array | null> {
  const handle = await fsp.open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    await handle.read(header, 0, HEADER_BYTES, 0);
    const matches = header.toString('latin1', 0, 8) === MAGIC && header.readUInt32LE(8) === VERSION
      && header.readUInt32LE(12) === count && header.readUInt32LE(16) === recordBytes;
    if (!matches) return null;
    const states = new Uint8Array(count);
    await handle.read(states, 0, count, HEADER_BYTES);
    return states;
  } finally {
    await handle.close();
  }
}
