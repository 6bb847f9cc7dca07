// Runs in the bench (or as a script) and in its own worker threads: a train split N times larger, of distinct PNGs.
import { promises as fsp, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { workerScript } from '../../main/data/pool/worker-script.js';
import { inflateSync } from 'node:zlib';
import { encodePng, type RawPixels } from '../../main/data/decode/png-encode.js';
import { buildTreeOnce, isMainModule, positiveInt, type SplitCounts } from './fashion-mnist-png.js';

export interface TenfoldTree {
  root: string;
  /** `<root>/train`, laid out like the source's train split so the same generators read it. */
  train: string;
  factor: number;
  counts: SplitCounts;
}

/** One unit of work for a thread: some source images, each to be written `factor` times. */
interface Job {
  /** `seed` makes each image's noise its own, and the same on every build. */
  sources: { file: string; outStem: string; seed: number }[];
  factor: number;
}

type Reply = { ok: true } | { ok: false; error: string };

const WORKER_ROLE = 'tenfold-tree';
/** Source images per job: small enough that the threads finish together, big enough that messages cost nothing. */
const SOURCES_PER_JOB = 250;

/**
 * `<outDir>/train/<class>/<stem>-<k>.png` for each source image and k < factor: copy 0 is the image itself, the
 * others are flipped, shifted and noised so that every file is different, real work for a decoder.
 */
export async function tenfoldTree(sourceRoot: string, outDir: string, factor = 10): Promise<TenfoldTree> {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`factor must be a positive integer, not ${factor}`);
  const source = path.join(path.resolve(sourceRoot), 'train');
  const classes = await listSplit(source);
  const sourceCounts = Object.fromEntries(classes.map((c) => [c.name, c.files.length]));
  const root = path.resolve(outDir);
  const counts = await buildTreeOnce(root, { dataset: 'tenfold', source, sourceCounts, factor }, async (dir) => {
    const train = path.join(dir, 'train');
    await Promise.all(classes.map((c) => fsp.mkdir(path.join(train, c.name), { recursive: true })));
    await runJobs(makeJobs(classes, source, train, factor));
    const perClass = Object.fromEntries(classes.map((c) => [c.name, c.files.length * factor]));
    return { total: Object.values(perClass).reduce((a, b) => a + b, 0), perClass };
  });
  return { root, train: path.join(root, 'train'), factor, counts };
}

/** Class folders in sorted order (as the tutorial lists them), each with its PNG names sorted. */
async function listSplit(split: string): Promise<{ name: string; files: string[] }[]> {
  const entries = await fsp.readdir(split, { withFileTypes: true }).catch(() => {
    throw new Error(`${split} is not readable: the source must be a PNG tree with a train/ folder (see fashion-mnist-png.ts)`);
  });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const classes = await Promise.all(
    names.map(async (name) => {
      const files = (await fsp.readdir(path.join(split, name))).filter((f) => f.endsWith('.png')).sort();
      return { name, files };
    }),
  );
  if (classes.every((c) => c.files.length === 0)) throw new Error(`${split} has no class folders of .png files`);
  return classes;
}

function makeJobs(classes: { name: string; files: string[] }[], from: string, to: string, factor: number): Job[] {
  const sources = classes.flatMap((c) =>
    c.files.map((f) => {
      const stem = path.basename(f, '.png');
      return { file: path.join(from, c.name, f), outStem: path.join(to, c.name, stem), seed: fnv1a(`${c.name}/${stem}`) };
    }),
  );
  const jobs: Job[] = [];
  for (let i = 0; i < sources.length; i += SOURCES_PER_JOB) jobs.push({ sources: sources.slice(i, i + SOURCES_PER_JOB), factor });
  return jobs;
}

/** Share the jobs among one thread per core; on a failure the others finish their current job, then it is reported. */
async function runJobs(jobs: Job[]): Promise<void> {
  const threads = Math.min(availableParallelism(), jobs.length);
  const results = await Promise.allSettled(Array.from({ length: threads }, () => drain(jobs)));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}

function drain(queue: Job[]): Promise<void> {
  const worker = startWorker();
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      worker.removeAllListeners();
      if (error) queue.length = 0; // the other threads stop after their current job
      void worker.terminate().then(() => (error ? reject(error) : resolve()));
    };
    const next = (): void => {
      const job = queue.shift();
      if (job) worker.postMessage(job);
      else finish();
    };
    worker.on('message', (reply: Reply) => (reply.ok ? next() : finish(new Error(reply.error))));
    worker.on('error', finish);
    worker.on('exit', (code) => finish(new Error(`a tenfold-tree thread exited with code ${code}`)));
    next();
  });
}

/** A thread running this very file (see workerScript for how it starts from source). */
function startWorker(): Worker {
  const { script, options } = workerScript(import.meta.url, 'tenfold-tree', { workerData: { role: WORKER_ROLE } });
  return new Worker(script, options);
}

function runJob({ sources, factor }: Job): void {
  const digits = String(factor - 1).length;
  for (const { file, outStem, seed } of sources) {
    const image = decodePng(readFileSync(file), file);
    for (let k = 0; k < factor; k++) {
      writeFileSync(`${outStem}-${String(k).padStart(digits, '0')}.png`, encodePng(variant(image, k, seed)));
    }
  }
}

/** Copy k of an image: k = 0 unchanged; otherwise mirrored on odd k, shifted up to 2 pixels, its ink noised by up to ±12. */
function variant(image: RawPixels, k: number, seed: number): RawPixels {
  if (k === 0) return image;
  const { width, height, channels, data } = image;
  const flip = k % 2 === 1;
  const dx = ((k * 7) % 5) - 2;
  const dy = ((k * 3) % 5) - 2;
  const random = mulberry32(seed ^ Math.imul(k, 0x9e3779b9));
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= height) continue;
    for (let x = 0; x < width; x++) {
      const sx = (flip ? width - 1 - x : x) - dx;
      if (sx < 0 || sx >= width) continue;
      for (let c = 0; c < channels; c++) {
        const value = data[(sy * width + sx) * channels + c]!;
        // Background stays clean, as in the real images; only ink gets noise, which keeps files realistic in size.
        out[(y * width + x) * channels + c] = value === 0 ? 0 : clampByte(value + Math.round((random() - 0.5) * 24));
      }
    }
  }
  return { width, height, channels, data: out };
}

function clampByte(value: number): number {
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHANNELS_BY_COLOR_TYPE: Record<number, number> = { 0: 1, 4: 2, 2: 3, 6: 4 };

/** 8-bit, non-interlaced gray/RGB(A) PNGs, which is what the PNG trees hold; anything else is refused by name. */
function decodePng(bytes: Buffer, file: string): RawPixels {
  if (bytes.readUInt32BE(0) !== 0x89504e47) throw new Error(`${file}: not a PNG file`);
  const idat: Buffer[] = [];
  let header: Buffer | undefined;
  for (let pos = 8; pos + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    const body = bytes.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') header = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + length;
  }
  if (!header) throw new Error(`${file}: PNG without an IHDR chunk`);
  const width = header.readUInt32BE(0),
    height = header.readUInt32BE(4);
  const channels = CHANNELS_BY_COLOR_TYPE[header[9]!];
  if (header[8] !== 8 || !channels || header[12] !== 0) {
    throw new Error(
      `${file}: only 8-bit non-interlaced gray or RGB(A) PNGs are supported (bit depth ${header[8]}, color type ${header[9]}, interlace ${header[12]})`,
    );
  }
  return { width, height, channels, data: unfilter(inflateSync(Buffer.concat(idat)), width * channels, height, channels) };
}

function unfilter(raw: Uint8Array, stride: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const row = y * stride,
      prev = row - stride,
      src = y * (stride + 1) + 1;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[row + i - bpp]! : 0;
      const b = y > 0 ? out[prev + i]! : 0;
      const c = y > 0 && i >= bpp ? out[prev + i - bpp]! : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      out[row + i] = (raw[src + i]! + predictor) & 0xff;
    }
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function serveJobs(): void {
  parentPort!.on('message', (job: Job) => {
    let reply: Reply;
    try {
      runJob(job);
      reply = { ok: true };
    } catch (error) {
      reply = { ok: false, error: (error as Error).message };
    }
    parentPort!.postMessage(reply);
  });
}

async function main(): Promise<void> {
  const [sourceRoot, outDir, flag, value] = process.argv.slice(2);
  if (!sourceRoot || !outDir || (flag !== undefined && flag !== '--factor'))
    throw new Error('usage: tenfold-tree.ts <sourceRoot> <outDir> [--factor N]');
  const factor = flag ? positiveInt(flag, value ?? '') : undefined;
  const started = performance.now();
  const tree = await tenfoldTree(sourceRoot, outDir, factor);
  console.log(JSON.stringify({ ...tree, seconds: Number(((performance.now() - started) / 1000).toFixed(1)) }));
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === WORKER_ROLE) serveJobs();
else if (isMainModule(import.meta.url)) {
  main().catch((error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
