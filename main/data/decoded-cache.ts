// Runs anywhere in main: the decoded-pixel cache file that later epochs stream instead of decoding every image again.
import { createHash } from 'node:crypto';
import { closeSync, openSync, promises as fsp, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CACHE_EMPTY, type CacheRef } from './decode/decode-jobs.js';

/**
 * Layout: a 64-byte header (magic, version, record count, record size, slots used, value kind), a slot table of one
 * uint32 per sample (0: not cached; else 1 + the slot of its record), then records, slot after slot: decoded uint8
 * pixels, or for full-depth images float records (decode/float-record.ts: float32 values, never rounded to 8 bits).
 * Each decode job writes the records of its new samples to consecutive slots in one write (a write per image at a
 * random offset cost a sixth of a decode thread's time). This thread keeps the slot table and writes it out every
 * few seconds and at each epoch's end, only ever after the records it points at were written, so a run killed
 * half-way leaves a valid, partly filled cache that the next run continues from. The file name is a digest of
 * everything that decides the pixels, so a changed file, list or decode setting simply names another cache. One
 * process writes a cache at a time (a lock file beside it): two writers would put records in each other's slots.
 */
const MAGIC = 'TRIBCACH';
const VERSION = 2;
const HEADER_BYTES = 64;
const PAGE = 4096;
const FLUSH_EVERY_MS = 2000;

export class DecodedCache {
  readonly ref: CacheRef;
  #nextSlot: number;
  #flushedAt = Date.now();

  constructor(
    file: string,
    readonly count: number,
    recordBytes: number,
    /** Per sample: CACHE_EMPTY, or 1 + its record's slot. */
    readonly slots: Uint32Array,
    nextSlot: number,
    private readonly lock: CacheLock,
    values: CacheRef['values'] = 'u8',
  ) {
    this.ref = { file, dataOffset: dataOffset(count), recordBytes, values };
    this.#nextSlot = nextSlot;
  }

  /** Consecutive slots for `n` new records; those a failed decode leaves unused stay holes in a sparse file. */
  reserve(n: number): number {
    const first = this.#nextSlot;
    this.#nextSlot += n;
    return first;
  }

  /** Records were written and the slot table updated: write it out if the last time was a while ago. */
  written(): void {
    if (Date.now() - this.#flushedAt >= FLUSH_EVERY_MS) this.flush();
  }

  /** Write the slot table out; every record it points at was written by a worker before its job answered. */
  flush(): void {
    const fd = openSync(this.ref.file, 'r+');
    try {
      writeSync(fd, header(this.count, this.ref.recordBytes, this.#nextSlot, this.ref.values), 0, HEADER_BYTES, 0);
      writeSync(fd, this.slots, 0, this.slots.byteLength, HEADER_BYTES);
    } finally {
      closeSync(fd);
    }
    this.#flushedAt = Date.now();
  }

  close(): void {
    this.flush();
    this.lock.release();
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

/** The value kind's code in the header: 0 for u8, so caches written before float records existed still open. */
const VALUE_CODES = { u8: 0, f32: 1 } as const;

function header(count: number, recordBytes: number, nextSlot: number, values: CacheRef['values']): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(VERSION, 8);
  bytes.writeUInt32LE(count, 12);
  bytes.writeUInt32LE(recordBytes, 16);
  bytes.writeUInt32LE(nextSlot, 20);
  bytes.writeUInt32LE(VALUE_CODES[values], 24);
  return bytes;
}

/** A digest of the inputs (each file's path, size and mtime) and of the decode settings. */
export async function cacheKey(paths: (i: number) => string, count: number, settings: unknown): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(settings));
  const CHUNK = 256; // stat in parallel chunks: tens of thousands of sequential stats take seconds
  for (let start = 0; start < count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK);
    const stats = await Promise.all(Array.from({ length: end - start }, (_, k) => fsp.stat(paths(start + k)).catch(() => null)));
    stats.forEach((s, k) => hash.update(`${paths(start + k)}\0${s?.size ?? -1}\0${s?.mtimeMs ?? -1}\n`));
  }
  return hash.digest('hex').slice(0, 24);
}

/**
 * Open the cache named by `key` in `dir`, creating it (empty) when absent or unusable. When another process (or
 * another generator here) is writing it, the answer is why not, and the caller goes on without a cache.
 */
export async function openDecodedCache(
  dir: string,
  key: string,
  count: number,
  recordBytes: number,
  values: CacheRef['values'] = 'u8',
): Promise<DecodedCache | { busy: string }> {
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${key}.tcache`);
  const lock = await CacheLock.take(file);
  if ('busy' in lock) return lock;
  const existing = await readSlots(file, count, recordBytes, values);
  if (existing) return new DecodedCache(file, count, recordBytes, existing.slots, existing.nextSlot, lock, values);
  const partial = `${file}.${process.pid}.partial`;
  const handle = await fsp.open(partial, 'w');
  try {
    await handle.write(header(count, recordBytes, 0, values), 0, HEADER_BYTES, 0);
    await handle.truncate(dataOffset(count)); // an empty slot table; records are appended as epochs decode them
  } finally {
    await handle.close();
  }
  await fsp.rename(partial, file);
  return new DecodedCache(file, count, recordBytes, new Uint32Array(count), 0, lock, values);
}

/** `<cache>.lock` holds the writer's pid; a lock whose process is gone is taken over. */
class CacheLock {
  static readonly #held = new Set<string>();

  private constructor(private readonly file: string) {}

  static async take(cacheFile: string): Promise<CacheLock | { busy: string }> {
    const file = `${cacheFile}.lock`;
    if (CacheLock.#held.has(file)) return { busy: `the decoded cache ${cacheFile} is in use by another generator in this process` };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fsp.writeFile(file, String(process.pid), { flag: 'wx' });
        CacheLock.#held.add(file);
        return new CacheLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number(await fsp.readFile(file, 'utf8').catch(() => ''));
        if (isAlive(owner)) return { busy: `the decoded cache ${cacheFile} is being written by process ${owner}` };
        await fsp.rm(file, { force: true }); // left by a process that ended without releasing it
      }
    }
    return { busy: `the decoded cache ${cacheFile} is locked (${file})` };
  }

  release(): void {
    if (!CacheLock.#held.delete(this.file)) return;
    rmSync(this.file, { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
}

async function readSlots(
  file: string,
  count: number,
  recordBytes: number,
  values: CacheRef['values'],
): Promise<{ slots: Uint32Array; nextSlot: number } | null> {
  const handle = await fsp.open(file, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    await handle.read(head, 0, HEADER_BYTES, 0);
    const matches =
      head.toString('latin1', 0, 8) === MAGIC &&
      head.readUInt32LE(8) === VERSION &&
      head.readUInt32LE(12) === count &&
      head.readUInt32LE(16) === recordBytes &&
      head.readUInt32LE(24) === VALUE_CODES[values];
    if (!matches) return null;
    const slots = new Uint32Array(count);
    await handle.read(new Uint8Array(slots.buffer), 0, slots.byteLength, HEADER_BYTES);
    return { slots, nextSlot: head.readUInt32LE(20) };
  } finally {
    await handle.close();
  }
}
