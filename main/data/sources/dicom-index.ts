// Runs anywhere in main: the header index of a DICOM tree of any layout, kept on disk and reused while its files are unchanged.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, type Dirent } from 'node:fs';
import path from 'node:path';
import { fsProblem } from '../../config/fs-problem.js';
import { indexFile, type HeaderLimits, type IndexEntry } from './dicom-header.js';
import { compareNames } from './image-folder-listing.js';
import type { PhiHasher } from './phi-hash.js';

/** Bumped whenever IndexEntry changes, so an older index is rebuilt rather than misread. */
const FORMAT = 'tributary-dicom-index/1';
/** Headers read at once: the reads overlap, the parsing is short and synchronous. */
const PARALLEL_READS = 8;

/** What the walk could not look into: a folder it cannot read, a broken symlink, a loop. */
export interface WalkProblem {
  path: string;
  reason: string;
}

export interface DicomIndex {
  root: string;
  /** Every regular file under root, sorted by path. */
  entries: IndexEntry[];
  walkProblems: WalkProblem[];
  /** Headers read in this call; the rest came from the cache. */
  parsed: number;
  reused: number;
  cacheFile: string;
  /** Why the cache was not used or not written, where it matters. */
  notes: string[];
}

export interface IndexOptions {
  /** The folder holding index files (one per tree). */
  cacheDir: string;
  hasher: PhiHasher;
  limits: HeaderLimits;
}

interface CacheFile {
  format: string;
  saltId: string;
  limits: HeaderLimits;
  entries: IndexEntry[];
}

interface Found {
  path: string;
  absolute: string;
  size: number;
  mtimeMs: number;
}

/** Index `root`: walk it, reuse every cached entry whose path, size and mtime match, read the other headers. */
export async function indexDicomTree(root: string, options: IndexOptions): Promise<DicomIndex> {
  const rootStat = await fsp.stat(root).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? `folder ${root} does not exist` : `cannot open ${root}: ${fsProblem(error)}`);
  });
  if (!rootStat.isDirectory()) throw new Error(`${root} is not a folder`);
  const found: Found[] = [];
  const walkProblems: WalkProblem[] = [];
  await walk(root, '', found, walkProblems, new Set());
  const cacheFile = path.join(options.cacheDir, `index-${createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 32)}.json`);
  const notes: string[] = [];
  const cached = await readCache(cacheFile, options, notes);
  const entries = new Array<IndexEntry>(found.length);
  const stale: number[] = [];
  found.forEach((file, i) => {
    const old = cached.get(file.path);
    if (old && old.size === file.size && old.mtimeMs === file.mtimeMs) entries[i] = old;
    else stale.push(i);
  });
  await eachParallel(stale, async (i) => {
    const { absolute, ...stamp } = found[i]!;
    entries[i] = { ...stamp, ...(await indexFile(absolute, stamp.size, options.limits, options.hasher).catch(unreadableFile)) };
  });
  if (stale.length > 0 || cached.size !== found.length) await writeCache(cacheFile, options, entries, notes);
  return { root, entries, walkProblems, parsed: stale.length, reused: found.length - stale.length, cacheFile, notes };
}

/** A file that cannot be opened or read (permissions, a device) is listed as unreadable, with the system's reason. */
function unreadableFile(error: NodeJS.ErrnoException): { kind: 'unreadable'; reason: string } {
  if (error.code === 'EAGAIN') return { kind: 'unreadable', reason: 'not a regular file (a pipe or device)' };
  return { kind: 'unreadable', reason: `cannot read: ${fsProblem(error)}` };
}

async function eachParallel(items: number[], work: (item: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, items.length) }, lane));
}

/**
 * Depth first, names in byte order, so the index (and every split drawn from it) is the same on every machine.
 * Symlinks are followed; a folder reached twice (by a loop or a second link) is reported, not walked again.
 */
async function walk(folder: string, relative: string, found: Found[], problems: WalkProblem[], seen: Set<string>): Promise<void> {
  const stat = await fsp.stat(folder);
  const id = `${stat.dev}:${stat.ino}`;
  if (seen.has(id)) return void problems.push({ path: relative, reason: 'symlink loop or second path to a folder already indexed' });
  seen.add(id);
  let names: Dirent[];
  try {
    names = [];
    for await (const entry of await fsp.opendir(folder, { bufferSize: 256 })) names.push(entry);
  } catch (error) {
    return void problems.push({ path: relative || '.', reason: `cannot read folder: ${fsProblem(error)}` });
  }
  names.sort((a, b) => compareNames(a.name, b.name));
  for (const entry of names) {
    const absolute = path.join(folder, entry.name);
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      await walk(absolute, rel, found, problems, seen);
      continue;
    }
    // stat, not the Dirent: it follows a symlink, and the size and mtime are the index's stamp.
    const target = await fsp.stat(absolute).catch((error: NodeJS.ErrnoException) => error);
    if (target instanceof Error) {
      problems.push({ path: rel, reason: target.code === 'ELOOP' ? 'symlink loop' : `broken symlink (${fsProblem(target)})` });
    } else if (target.isDirectory()) {
      await walk(absolute, rel, found, problems, seen);
    } else if (target.isFile()) {
      found.push({ path: rel, absolute, size: target.size, mtimeMs: target.mtimeMs });
    } else {
      problems.push({ path: rel, reason: 'not a regular file (a pipe, socket or device)' });
    }
  }
}

/** The cached entries by path; an index made with another salt, other limits or another format is not used. */
async function readCache(file: string, options: IndexOptions, notes: string[]): Promise<Map<string, IndexEntry>> {
  const text = await fsp.readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return new Map();
  let cache: CacheFile;
  try {
    cache = JSON.parse(text) as CacheFile;
  } catch {
    notes.push('the header index on disk was unreadable and is rebuilt');
    return new Map();
  }
  const { maxHeaderBytes, maxPixels } = options.limits;
  if (cache.format !== FORMAT || cache.saltId !== options.hasher.saltId) return new Map();
  if (cache.limits?.maxHeaderBytes !== maxHeaderBytes || cache.limits?.maxPixels !== maxPixels) return new Map();
  return new Map(cache.entries.map((entry) => [entry.path, entry]));
}

/** Written to a temporary file and renamed over the old one: a reader never sees half an index. */
async function writeCache(file: string, options: IndexOptions, entries: IndexEntry[], notes: string[]): Promise<void> {
  const cache: CacheFile = { format: FORMAT, saltId: options.hasher.saltId, limits: options.limits, entries };
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fsp.writeFile(temporary, JSON.stringify(cache), { mode: 0o600 });
    await fsp.rename(temporary, file);
  } catch (error) {
    await fsp.rm(temporary, { force: true });
    notes.push(`the header index could not be saved in ${path.dirname(file)} (${fsProblem(error)}): it is rebuilt at the next start`);
  }
}
