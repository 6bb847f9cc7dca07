// Runs in the training thread: the backend probe's rates kept per model signature and machine, in one small JSON file in Tributary's cache folder.
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as tfjs from '@tensorflow/tfjs';
import { z } from 'zod';
import { BACKENDS } from '../../common/training-config.js';
import { writeTextAtomically } from '../config/atomic-write.js';
import { defaultCacheDir } from '../data/cache-dir.js';
import type { SampleShape } from '../data/types.js';
import type { BackendProbe, BackendReport } from './backend.js';
import { TRAIN_STEP_ENV } from './graph/step-choice.js';

/** A machine trains a handful of models: the newest probes are kept, the rest dropped, so the file stays a few kilobytes. */
export const PROBE_CACHE_KEPT = 32;
const WASM_THREADS_ENV = 'TRIBUTARY_WASM_THREADS';

const RateSchema = z.strictObject({
  name: z.enum(BACKENDS),
  samplesPerSec: z.number().positive(),
  steps: z.number().int().nonnegative(),
  samples: z.number().int().positive().optional(),
});

const EntrySchema = z.strictObject({
  key: z.string().regex(/^[0-9a-f]{64}$/),
  /** For a person reading the file: the model's name and batch; the key is what matches. */
  about: z.string(),
  rates: z.array(RateSchema).min(2),
  measuredAt: z.iso.datetime(),
  ms: z.number().nonnegative(),
});
export type ProbeCacheEntry = z.infer<typeof EntrySchema>;

const FileSchema = z.strictObject({ version: z.literal(1), entries: z.array(EntrySchema) });

export function defaultProbeCacheFile(): string {
  return path.join(defaultCacheDir(), 'backend-probe.json');
}

export interface SignatureParts {
  model: tfjs.LayersModel;
  sampleShape: SampleShape;
  batchSize: number;
}

/** What the probe times; a new scheme re-measures every model. 2: tensorflow trains with the one-graph step (docs/engine.md). */
const PROBE_SCHEME = 2;

/**
 * What a probe's rates depend on: the model (its architecture as tfjs writes it to a model.json, its loss and
 * optimizer), the input and batch shapes, and the machine (CPU, cores, the tfjs and TensorFlow builds, the wasm threads
 * asked for), and the step trained: which step tensorflow takes (PROBE_SCHEME, the override). Any of them changing
 * makes another key, so the backends are measured again.
 */
export function probeKey({ model, sampleShape, batchSize }: SignatureParts, report: BackendReport, env: NodeJS.ProcessEnv): string {
  const signature = {
    architecture: model.toJSON(null, false),
    loss: model.loss,
    optimizer: model.optimizer.getClassName(),
    sampleShape,
    batchSize,
  };
  const machine = {
    cpu: os.cpus()[0]?.model ?? null,
    cores: os.availableParallelism(),
    platform: `${process.platform}-${process.arch}`,
    tfjs: report.tf.version.tfjs,
    tensorflow: report.tensorflow?.version ?? null,
    wasmThreads: env[WASM_THREADS_ENV] ?? null,
  };
  const step = { scheme: PROBE_SCHEME, override: env[TRAIN_STEP_ENV] ?? null };
  return createHash('sha256').update(JSON.stringify({ signature, machine, step })).digest('hex');
}

/** The entries of the cache file (none when there is none yet), and why its content was ignored, if it was. */
export async function readProbeCache(file: string): Promise<{ entries: ProbeCacheEntry[]; problem?: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
    return {
      entries: [],
      problem: `the backend probe cache ${file} could not be read (${(error as Error).message}): the backends were measured again`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      entries: [],
      problem: `the backend probe cache ${file} is not JSON (${(error as Error).message}): ignored, the backends were measured again`,
    };
  }
  const parsed = FileSchema.safeParse(json);
  if (parsed.success) return { entries: parsed.data.entries };
  const first = parsed.error.issues[0]!;
  const where = first.path.length ? `${first.path.join('.')}: ` : '';
  return {
    entries: [],
    problem: `the backend probe cache ${file} is not one this Tributary writes (${where}${first.message}): ignored, the backends were measured again`,
  };
}

/** Puts a probe first among the entries read, dropping an older one of the same key and the oldest beyond the bound; why not, if it could not. */
export async function writeProbeCache(file: string, read: ProbeCacheEntry[], entry: ProbeCacheEntry): Promise<string | undefined> {
  const entries = [entry, ...read.filter((old) => old.key !== entry.key)].slice(0, PROBE_CACHE_KEPT);
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeTextAtomically(file, `${JSON.stringify({ version: 1, entries }, null, 1)}\n`);
    return undefined;
  } catch (error) {
    return `the backend probe cache ${file} could not be written (${(error as Error).message}): the next start measures the backends again`;
  }
}

/** The probe an entry holds, as the backend report carries it. */
export function cachedProbe(entry: ProbeCacheEntry): BackendProbe {
  return { rates: entry.rates, measuredAt: entry.measuredAt, ms: entry.ms, cached: true };
}
