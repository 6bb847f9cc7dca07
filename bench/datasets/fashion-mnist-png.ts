// Runs in the bench (or as a script): turns Debian's Fashion-MNIST IDX files into the tutorial's folder tree of PNGs.
import { promises as fsp, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { encodePng } from '../../main/data/decode/png-encode.js';
import { readIdxHeader, uncompressedIdx, type IdxHeader } from '../../main/data/idx.js';

export const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

/** Label order: the numeric prefix makes a plain sort (the tutorial's sorted(os.listdir)) give label order. */
export const FASHION_MNIST_CLASSES = [
  '0-tshirt-top',
  '1-trouser',
  '2-pullover',
  '3-dress',
  '4-coat',
  '5-sandal',
  '6-shirt',
  '7-sneaker',
  '8-bag',
  '9-ankle-boot',
] as const;

const SPLITS = { train: 'train', test: 't10k' } as const;
type Split = keyof typeof SPLITS;
const SIDE = 28;
/** Records read per positioned read: big enough to amortise the syscall, small enough to stay a few hundred KiB. */
const RECORDS_PER_READ = 512;

export interface SplitCounts {
  total: number;
  perClass: Record<string, number>;
}

export interface PngTree {
  root: string;
  train: string;
  test: string;
  counts: { train: SplitCounts; test: SplitCounts };
}

export interface FashionMnistPngOptions {
  /** Keep only the first N records of each class (a small sample); omitted means every record. */
  limitPerClass?: { train?: number; test?: number };
  /** Folder holding the four IDX .gz files; Debian's package by default. */
  source?: string;
}

const MARKER = '.tree-complete.json';
let buildSequence = 0;

/**
 * Build `outDir` once with `build` and return what it reported. The tree is built in a sibling temp folder and
 * renamed into place, so `outDir` is either absent or complete; the marker file in it holds `params` (what was
 * asked for) and the counts, and a later call with the same params returns them without touching the tree.
 */
export async function buildTreeOnce<C>(outDir: string, params: object, build: (dir: string) => Promise<C>): Promise<C> {
  const target = path.resolve(outDir);
  const existing = await readMarker<C>(target);
  if (existing && sameParams(existing.params, params)) return existing.counts;
  if (!existing && (await exists(target))) {
    throw new Error(`${target} exists but is not a completed generated tree (no ${MARKER}); remove it or choose another folder`);
  }
  await removeStaleSiblings(target);
  const temp = siblingName(target, 'partial');
  try {
    await fsp.mkdir(temp, { recursive: true });
    const counts = await build(temp);
    await fsp.writeFile(path.join(temp, MARKER), `${JSON.stringify({ params, counts }, null, 2)}\n`);
    return await swapIn(temp, target, params, counts);
  } finally {
    await fsp.rm(temp, { recursive: true, force: true });
  }
}

/** Rename the finished temp tree to `target`, replacing a tree built with other params; a racing builder that won keeps its tree. */
async function swapIn<C>(temp: string, target: string, params: object, counts: C): Promise<C> {
  const old = (await exists(target)) ? siblingName(target, 'old') : null;
  if (old) await fsp.rename(target, old);
  try {
    await fsp.rename(temp, target);
  } catch (error) {
    const winner = await readMarker<C>(target);
    if (winner && sameParams(winner.params, params)) return winner.counts;
    throw error;
  } finally {
    if (old) await fsp.rm(old, { recursive: true, force: true });
  }
  return counts;
}

async function readMarker<C>(dir: string): Promise<{ params: unknown; counts: C } | null> {
  try {
    return JSON.parse(await fsp.readFile(path.join(dir, MARKER), 'utf8')) as { params: unknown; counts: C };
  } catch {
    return null;
  }
}

/** Params are built by this module's callers in a fixed key order, so their JSON text is a fair comparison. */
function sameParams(a: unknown, b: object): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function siblingName(target: string, kind: 'partial' | 'old'): string {
  return `${target}.${kind}-${process.pid}-${buildSequence++}`;
}

/** Temp folders left by a crashed build: their process is gone, so nobody will finish or remove them. */
async function removeStaleSiblings(target: string): Promise<void> {
  const parent = path.dirname(target);
  const pattern = new RegExp(`^${escapeRegExp(path.basename(target))}\\.(?:partial|old)-(\\d+)-\\d+$`);
  const names = await fsp.readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (pid && !processAlive(pid)) await fsp.rm(path.join(parent, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function exists(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    () => true,
    () => false,
  );
}

/** `<outDir>/{train,test}/<class>/<record index>.png`, built once (see buildTreeOnce). */
export async function fashionMnistPngTree(outDir: string, options: FashionMnistPngOptions = {}): Promise<PngTree> {
  const source = path.resolve(options.source ?? DEBIAN_FASHION_MNIST);
  const limits = { train: options.limitPerClass?.train ?? null, test: options.limitPerClass?.test ?? null };
  const root = path.resolve(outDir);
  const counts = await buildTreeOnce(root, { dataset: 'fashion-mnist', source, limitPerClass: limits }, async (dir) => {
    const files = await sourceFiles(source);
    return {
      train: await writeSplit(files.train, path.join(dir, 'train'), limits.train),
      test: await writeSplit(files.test, path.join(dir, 'test'), limits.test),
    };
  });
  return { root, train: path.join(root, 'train'), test: path.join(root, 'test'), counts };
}

interface SplitFiles {
  images: string;
  labels: string;
}

async function sourceFiles(source: string): Promise<Record<Split, SplitFiles>> {
  const pick = (split: Split): SplitFiles => ({
    images: path.join(source, `${SPLITS[split]}-images-idx3-ubyte.gz`),
    labels: path.join(source, `${SPLITS[split]}-labels-idx1-ubyte.gz`),
  });
  const files = { train: pick('train'), test: pick('test') };
  const all = [files.train.images, files.train.labels, files.test.images, files.test.labels];
  const missing = (await Promise.all(all.map(async (file) => ((await exists(file)) ? null : path.basename(file))))).filter(Boolean);
  if (missing.length > 0) {
    const hint =
      source === DEBIAN_FASHION_MNIST
        ? 'install the Debian package: apt-get install dataset-fashion-mnist'
        : `put the four files there, or omit the source option to use Debian's copy (apt-get install dataset-fashion-mnist)`;
    throw new Error(`Fashion-MNIST is not in ${source} (missing ${missing.join(', ')}); ${hint}`);
  }
  return files;
}

async function writeSplit(files: SplitFiles, splitDir: string, limit: number | null): Promise<SplitCounts> {
  const cacheDir = path.join(os.tmpdir(), 'tributary-idx-cache');
  const images = await readIdxHeader(await uncompressedIdx(files.images, cacheDir));
  const labelsHeader = await readIdxHeader(await uncompressedIdx(files.labels, cacheDir));
  checkShapes(images, labelsHeader);
  const labels = await readRecords(labelsHeader, 0, labelsHeader.dims[0]!);
  const chosen = firstPerClass(labels, limit);
  await Promise.all(FASHION_MNIST_CLASSES.map((name) => fsp.mkdir(path.join(splitDir, name), { recursive: true })));
  await encodeRecords(images, labels, chosen, splitDir);
  const perClass: Record<string, number> = {};
  FASHION_MNIST_CLASSES.forEach((name, label) => (perClass[name] = chosen.filter((i) => labels[i] === label).length));
  return { total: chosen.length, perClass };
}

function checkShapes(images: IdxHeader, labels: IdxHeader): void {
  const [n, rows, cols] = images.dims;
  if (images.dtype !== 'ubyte' || images.dims.length !== 3 || rows !== SIDE || cols !== SIDE) {
    throw new Error(`${images.file}: expected ubyte images of ${SIDE}x${SIDE}, found ${images.dtype} ${images.dims.join('x')}`);
  }
  if (labels.dtype !== 'ubyte' || labels.dims.length !== 1 || labels.dims[0] !== n) {
    throw new Error(`${labels.file}: expected ${n} ubyte labels, found ${labels.dtype} ${labels.dims.join('x')}`);
  }
}

/** Record indices in file order, keeping the first `limit` of each class (all of them without a limit). */
function firstPerClass(labels: Uint8Array, limit: number | null): number[] {
  const seen = new Array<number>(FASHION_MNIST_CLASSES.length).fill(0);
  const chosen: number[] = [];
  labels.forEach((label, index) => {
    if (label >= FASHION_MNIST_CLASSES.length) throw new Error(`record ${index} has label ${label}, outside 0..9`);
    if (limit === null || seen[label]! < limit) {
      seen[label]!++;
      chosen.push(index);
    }
  });
  return chosen;
}

async function readRecords(header: IdxHeader, first: number, count: number): Promise<Uint8Array> {
  const handle = await fsp.open(header.file, 'r');
  try {
    const bytes = new Uint8Array(count * header.recordBytes);
    await handle.read(bytes, 0, bytes.length, header.dataOffset + first * header.recordBytes);
    return bytes;
  } finally {
    await handle.close();
  }
}

/**
 * Read the chosen records in runs of consecutive indices and encode each to its class folder. The writes of one
 * run overlap the reading and encoding of the next, which is what keeps 70k tiny files down to seconds.
 */
async function encodeRecords(images: IdxHeader, labels: Uint8Array, chosen: number[], splitDir: string): Promise<void> {
  const digits = Math.max(5, String(images.dims[0]! - 1).length);
  let pending: Promise<unknown> = Promise.resolve();
  for (const run of consecutiveRuns(chosen, RECORDS_PER_READ)) {
    const pixels = await readRecords(images, run.first, run.count);
    const writes = Array.from({ length: run.count }, (_, offset) => {
      const index = run.first + offset;
      const data = pixels.subarray(offset * images.recordBytes, (offset + 1) * images.recordBytes);
      const file = path.join(splitDir, FASHION_MNIST_CLASSES[labels[index]!]!, `${String(index).padStart(digits, '0')}.png`);
      return fsp.writeFile(file, encodePng({ width: SIDE, height: SIDE, channels: 1, data }));
    });
    await pending;
    pending = Promise.all(writes);
  }
  await pending;
}

function* consecutiveRuns(indices: number[], maxLength: number): Generator<{ first: number; count: number }> {
  let start = 0;
  for (let i = 1; i <= indices.length; i++) {
    const breaks = i === indices.length || indices[i] !== indices[i - 1]! + 1 || i - start === maxLength;
    if (breaks) {
      yield { first: indices[start]!, count: i - start };
      start = i;
    }
  }
}

function parseArgs(argv: string[]): { outDir: string; options: FashionMnistPngOptions } {
  const [outDir, ...rest] = argv;
  if (!outDir || outDir.startsWith('--'))
    throw new Error('usage: fashion-mnist-png.ts <outDir> [--per-class-train N] [--per-class-test M] [--source DIR]');
  const options: FashionMnistPngOptions = { limitPerClass: {} };
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--source') options.source = value;
    else if (flag === '--per-class-train') options.limitPerClass!.train = positiveInt(flag, value);
    else if (flag === '--per-class-test') options.limitPerClass!.test = positiveInt(flag, value);
    else throw new Error(`unknown option ${flag}`);
  }
  return { outDir, options };
}

export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, not ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { outDir, options } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const tree = await fashionMnistPngTree(outDir, options);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(JSON.stringify({ ...tree, seconds: Number(seconds) }));
}

/** True in the main thread of a process started with this module as its script (a worker's argv is its parent's). */
export function isMainModule(moduleUrl: string): boolean {
  return isMainThread && !!process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(moduleUrl);
}

if (isMainModule(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
