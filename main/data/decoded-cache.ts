// Runs anywhere in main: the decoded-pixel cache file that later epochs stream instead of decoding every image again.
import { createHash } from 'node:crypto';
import { closeSync, openSync, promises as fsp, writeSync } from 'node:fs';
import path from 'node:path';
import { CACHE_EMPTY, type CacheRef } from './decode/decode-jobs.js';

/**
 * Layout: a 64-byte header (magic, version, record count, record size, slots used), a slot table of one uint32 per
 * sample (0: not cached; BAD_SLOT: unreadable; else 1 + the slot of its record), then records of decoded uint8
 * pixels, slot after slot. Each decode job writes the records of its new samples to consecutive slots in one
 * write (a write per image at a random offset cost a sixth of a decode thread's time). This thread keeps the slot
 * table and writes it out (flush) only after the records it points at were written, so a run killed half-way
 * leaves a valid, partly filled cache that the next run continues from. The file name is a digest of everything
 * that decides the pixels, so a changed file, list or target size simply names another cache.
 */
const MAGIC = 'TRIBCACH';
const VERSION = 2;
const HEADER_BYTES = 64;
const PAGE = 4096;

export class DecodedCache {
  readonly ref: CacheRef;
  #nextSlot: number;

  constructor(
    file: string,
    readonly count: number,
    recordBytes: number,
    /** Per sample: CACHE_EMPTY, BAD_SLOT, or 1 + its record's slot. */
    readonly slots: Uint32Array,
    nextSlot: number,
  ) {
    this.ref = { file, dataOffset: dataOffset(count), recordBytes };
    this.#nextSlot = nextSlot;
  }

  /** Consecutive slots for `n` new records; those a failed decode leaves unused stay holes in a sparse file. */
  reserve(n: number): number {
    const first = this.#nextSlot;
    this.#nextSlot += n;
    return first;
  }

  /** Write the slot table out; every record it points at was written by a worker before its job answered. */
  flush(): void {
    const fd = openSync(this.ref.file, 'r+');
    try {
      writeSync(fd, header(this.count, this.ref.recordBytes, this.#nextSlot), 0, HEADER_BYTES, 0);
      writeSync(fd, this.slots, 0, this.slots.byteLength, HEADER_BYTES);
    } finally {
      closeSync(fd);
    }
  }

  /** How many samples still need decoding from their files. */
  get missing(): number {
    let n = 0;
    for (const slot of this.slots) if (slot === CACHE_EMPTY) n++;
    return n;
  }
}

function dataOffset(count: number): number {
  return Math.ceil((HEADER_BYTES + 4 * count) / PAGE) * PAGE;
}

function header(count: number, recordBytes: number, nextSlot: number): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(VERSION, 8);
  bytes.writeUInt32LE(count, 12);
  bytes.writeUInt32LE(recordBytes, 16);
  bytes.writeUInt32LE(nextSlot, 20);
  return bytes;
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

/** Open the cache named by `key` in `dir`, creating it (empty) when absent or unusable. */
export async function openDecodedCache(dir: string, key: string, count: number, recordBytes: number): Promise<DecodedCache> {
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${key}.tcache`);
  const existing = await readSlots(file, count, recordBytes);
  if (existing) return new DecodedCache(file, count, recordBytes, existing.slots, existing.nextSlot);
  const partial = `${file}.${process.pid}.partial`;
  const handle = await fsp.open(partial, 'w');
  try {
    await handle.write(header(count, recordBytes, 0), 0, HEADER_BYTES, 0);
    await handle.truncate(dataOffset(count)); // an empty slot table; records are appended as epochs decode them
  } finally {
    await handle.close();
  }
  await fsp.rename(partial, file);
  return new DecodedCache(file, count, recordBytes, new Uint32Array(count), 0);
}

async function readSlots(file: string, count: number, recordBytes: number): Promise<{ slots: Uint32Array; nextSlot: number } | null> {
  const handle = await fsp.open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    await handle.read(head, 0, HEADER_BYTES, 0);
    const matches = head.toString('latin1', 0, 8) === MAGIC && head.readUInt32LE(8) === VERSION
      && head.readUInt32LE(12) === count && head.readUInt32LE(16) === recordBytes;
    if (!matches) return null;
    const slots = new Uint32Array(count);
    await handle.read(new Uint8Array(slots.buffer), 0, slots.byteLength, HEADER_BYTES);
    return { slots, nextSlot: head.readUInt32LE(20) };
  } finally {
    await handle.close();
  }
}
