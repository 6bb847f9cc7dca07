// Runs in the train bench: times mnist-cnn in Debian's PyTorch (train_reference_torch.py) as the speed reference.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter, which python3-torch installs for; a pyenv python3 earlier on PATH does not have it. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = 'train_reference_torch.py';
/** Where Debian's dataset-fashion-mnist puts the four IDX .gz files; the script's own default too. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
const IDX_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

/** What train_reference_torch.py prints (one JSON line). */
export interface TorchMeasurement {
  framework: 'torch';
  /** torch.__version__; Debian's 1.13.1 package calls itself "1.13.0a0". */
  version: string;
  threads: number;
  batch: number;
  /** 34,826 for mnist-cnn on 28x28x1, 10 classes. */
  parameters: number;
  /** Steady state: the samples of the batches after the warm-up, over the time they took. */
  samples_per_s: number;
  /** Wall time of each epoch (shuffle and every batch), warm-up included; the last is partial when maxBatches cut it. */
  epoch_seconds: number[];
  /** On the 10,000 test images after training (partly trained when maxBatches cut the run). */
  test_acc: number;
  /** Mean training loss over the last (possibly partial) epoch. */
  train_loss: number;
  /** The process's peak, test pass included; importing torch alone is about 230 MB of it. */
  peak_rss_mb: number;
  /** The peak as training ended, before the test pass. */
  train_peak_rss_mb: number;
  batches: number;
  warmup_batches: number;
  timed_samples: number;
  /** False when maxBatches stopped the run inside an epoch. */
  full_epochs: boolean;
}

export type TorchReference = ({ ok: true } & TorchMeasurement) | { ok: false; note: string };

export interface TorchReferenceOptions {
  epochs: number;
  /** torch.set_num_threads, and the OpenMP/OpenBLAS thread counts with it. */
  threads: number;
  /** Stop after this many batches in all, warm-up included: a steady-state slice without a whole epoch. */
  maxBatches?: number;
  /** 64 unless given, as in the Keras example. */
  batch?: number;
  /** Batches left out of samples_per_s; 20 unless given. */
  warmupBatches?: number;
  seed?: number;
  /** The folder with the four Fashion-MNIST IDX .gz files; Debian's dataset-fashion-mnist unless given. */
  dataDir?: string;
  /** Kill the run after this long; 20 minutes unless given (one epoch takes about 15-60 s on 2 cores). */
  timeoutMs?: number;
}

/** Train mnist-cnn in PyTorch; an absent interpreter, torch, data set or script becomes a note the bench can print. */
export async function runTorchReference(options: TorchReferenceOptions): Promise<TorchReference> {
  const script = referenceScript();
  if (!script) return { ok: false, note: `bench/reference/${SCRIPT} was not found beside the sources; the torch reference was skipped` };
  const dataDir = path.resolve(options.dataDir ?? FASHION_MNIST_DIR);
  const missingData = IDX_FILES.filter((name) => !existsSync(path.join(dataDir, name)));
  if (missingData.length > 0) {
    const hint = options.dataDir === undefined ? ' (apt-get install dataset-fashion-mnist)' : '';
    return { ok: false, note: `${dataDir} lacks ${missingData.join(', ')}${hint}; the torch reference was skipped` };
  }
  const missing = await missingPrerequisite();
  if (missing) return { ok: false, note: missing };

  const args = [script, '--epochs', String(options.epochs), '--threads', String(options.threads), '--data', dataDir];
  if (options.batch !== undefined) args.push('--batch', String(options.batch));
  if (options.warmupBatches !== undefined) args.push('--warmup-batches', String(options.warmupBatches));
  if (options.maxBatches !== undefined) args.push('--max-batches', String(options.maxBatches));
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  const run = await execute(args, options.timeoutMs ?? 20 * 60_000);
  if (!run.ok)
    return { ok: false, note: `the torch reference failed: ${run.timedOut ? run.error : lastLines(run.stderr || run.error, 1)}` };
  const line = run.stdout.trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { ok: false, note: `the torch reference printed no JSON line: ${lastLines(run.stdout)}` };
  }
  if (!isMeasurement(parsed)) return { ok: false, note: `the torch reference printed an unexpected line: ${line.slice(0, 300)}` };
  if (parsed.samples_per_s === null) {
    return {
      ok: false,
      note: `the torch reference ran ${parsed.batches} batches, no more than its ${parsed.warmup_batches} warm-up ones, so timed nothing`,
    };
  }
  return { ok: true, ...parsed, samples_per_s: parsed.samples_per_s };
}

type PrintedMeasurement = Omit<TorchMeasurement, 'samples_per_s'> & { samples_per_s: number | null };

function isMeasurement(value: unknown): value is PrintedMeasurement {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const numbers = [
    'threads',
    'batch',
    'parameters',
    'test_acc',
    'train_loss',
    'peak_rss_mb',
    'train_peak_rss_mb',
    'batches',
    'warmup_batches',
    'timed_samples',
  ];
  return (
    record.framework === 'torch' &&
    typeof record.version === 'string' &&
    (record.samples_per_s === null || typeof record.samples_per_s === 'number') &&
    Array.isArray(record.epoch_seconds) &&
    record.epoch_seconds.every((s) => typeof s === 'number') &&
    typeof record.full_epochs === 'boolean' &&
    numbers.every((key) => typeof record[key] === 'number')
  );
}

/**
 * The script sits beside this module in the sources, but tsc does not copy .py files to dist/, so from
 * dist/bench/reference/ it is found by going up to the package root (the folder with package.json).
 */
function referenceScript(): string | null {
  const beside = fileURLToPath(new URL(`./${SCRIPT}`, import.meta.url));
  if (existsSync(beside)) return beside;
  for (let dir = path.dirname(beside); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) {
      const script = path.join(dir, 'bench', 'reference', SCRIPT);
      return existsSync(script) ? script : null;
    }
  }
  return null;
}

async function missingPrerequisite(): Promise<string | null> {
  if (!existsSync(PYTHON)) return `${PYTHON} is absent (apt-get install python3-torch); the torch reference was skipped`;
  const probe = await execute(['-c', 'import numpy, torch'], 60_000);
  if (probe.ok) return null;
  const why = lastLines(probe.stderr || probe.error, 1);
  if (/No module named '?torch/.test(why))
    return 'python3-torch is not installed (apt-get install python3-torch); the torch reference was skipped';
  if (/No module named '?numpy/.test(why))
    return 'python3-numpy is not installed (apt-get install python3-torch brings it); the torch reference was skipped';
  return `${PYTHON} cannot import torch (apt-get install python3-torch): ${why}; the torch reference was skipped`;
}

interface Execution {
  ok: boolean;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  error: string;
}

function execute(args: string[], timeout: number): Promise<Execution> {
  return new Promise((resolve) => {
    // PYTHONPATH/PYTHONHOME from a pyenv shell would point Debian's interpreter at another Python's packages.
    const env = { ...process.env, PYTHONPATH: undefined, PYTHONHOME: undefined };
    execFile(PYTHON, args, { env, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const timedOut = error?.killed === true;
      const why = timedOut ? `killed after ${Math.round(timeout / 1000)} s without finishing` : (error?.message ?? '');
      resolve({ ok: !error, timedOut, stdout, stderr, error: why });
    });
  });
}

function lastLines(text: string, count = 3): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}
