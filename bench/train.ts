// Runs as `npm run bench:train`: mnist-cnn on Fashion-MNIST, samples/s per tfjs backend against PyTorch in the same run.
import os from 'node:os';
import path from 'node:path';
import { table } from '../main/cli/table.js';
import type { BackendName } from '../main/engine/backend.js';
import { measureEventLoopLag, type EventLoopLag } from '../main/engine/train/event-loop-lag.js';
import { TrainingRunner } from '../main/engine/train/runner.js';
import type { TrainProgress } from '../main/engine/train/trainer.js';
import { machine, recordInDocs, repoRoot, round, type BenchResult } from './lib/report.js';
import { runTorchReference } from './reference/train_reference.js';

const BATCH = 64;
/** Batches left out of the steady-state rate: start-up, JIT and first allocations. */
const WARMUP_BATCHES = 20;
/** The cpu backend trains a few samples a second: a slice of this many batches (after one warm-up) is enough. */
const CPU_BATCHES = 3;
/** Fashion-MNIST from Debian's dataset-fashion-mnist, read by the Idx handler, batch 64. */
const CONFIG = path.join(repoRoot, 'examples', 'idx', 'party.yaml');
const MODEL = { builtin: 'mnist-cnn', optimizer: 'adam', learning_rate: 0.001, seed: 0 } as const;

interface BackendRun {
  backend: BackendName;
  ok: boolean;
  note?: string;
  samplesPerSec?: number;
  testAccuracy?: number;
  epochSeconds?: number;
  /** The machine's 1-minute load average as the run started: other load slows PyTorch's 2 threads most. */
  load: number;
  /** How late this (the host's) event loop ran while the training thread trained: what a UI in this process would feel. */
  lag?: EventLoopLag;
}

/** Samples/s over the batches after `skip`, timed as their progress events arrive on this thread. */
function steadyRate(): { onProgress: (event: TrainProgress) => void; rate: (skip: number) => number; batches: () => number } {
  const times: number[] = [];
  return {
    onProgress: (event) => {
      if (event.type === 'batch') times.push(performance.now());
    },
    batches: () => times.length,
    rate: (skip) => {
      const from = Math.min(skip, times.length - 2);
      return ((times.length - 1 - from) * BATCH) / ((times.at(-1)! - times[from]!) / 1000);
    },
  };
}

async function measure(backend: BackendName): Promise<BackendRun> {
  const load = loadAverage();
  const runner = new TrainingRunner();
  try {
    const opened = await runner.open({ configFile: CONFIG, model: MODEL, backend });
    if (opened.backend.name !== backend) return { backend, ok: false, note: opened.backend.description, load };
    const meter = steadyRate();
    if (backend === 'cpu') {
      const training = runner.train(1, {
        progressEveryMs: 0,
        onProgress: (event) => {
          meter.onProgress(event);
          if (meter.batches() === CPU_BATCHES + 1) void runner.stop();
        },
      });
      await training;
      return { backend, ok: true, samplesPerSec: meter.rate(1), note: `a slice of ${CPU_BATCHES} batches after one warm-up`, load };
    }
    // Every batch's progress event crosses to this thread (progressEveryMs 0): the host's busiest case.
    const { result: trained, lag } = await measureEventLoopLag(() => runner.train(1, { progressEveryMs: 0, onProgress: meter.onProgress }));
    const evaluated = await runner.evaluate();
    return {
      backend,
      ok: true,
      samplesPerSec: meter.rate(WARMUP_BATCHES),
      testAccuracy: evaluated.accuracy,
      epochSeconds: trained.epochs[0]!.seconds,
      load,
      lag,
    };
  } catch (error) {
    return { backend, ok: false, note: (error as Error).message, load };
  } finally {
    await runner.close().catch(() => {});
  }
}

function loadAverage(): number {
  return round(os.loadavg()[0]!, 2);
}

async function main(): Promise<void> {
  const runs: BackendRun[] = [];
  for (const backend of ['tensorflow', 'wasm', 'cpu'] as const) {
    console.error(`tfjs ${backend}: mnist-cnn, 1 epoch of Fashion-MNIST, batch ${BATCH}...`);
    runs.push(await measure(backend));
  }
  console.error('PyTorch (Debian python3-torch, 2 threads): the same model, 1 epoch from memory...');
  const torchLoad = loadAverage();
  const torch = await runTorchReference({ epochs: 1, threads: 2, warmupBatches: WARMUP_BATCHES });
  const keras = 'Keras/TensorFlow: not measured (TensorFlow is not installable on this machine: no package for it here)';

  const rate = (name: BackendName) => runs.find((r) => r.backend === name && r.ok)?.samplesPerSec;
  const wasm = runs.find((r) => r.backend === 'wasm' && r.ok);
  const metrics = {
    samples_per_s: {
      ...Object.fromEntries(runs.filter((r) => r.ok).map((r) => [r.backend, Math.round(r.samplesPerSec!)])),
      ...(torch.ok && { torch: Math.round(torch.samples_per_s) }),
    },
    test_acc_1epoch: wasm?.testAccuracy ?? null,
    torch_test_acc_1epoch: torch.ok ? torch.test_acc : null,
    epoch_seconds: { ...(wasm && { wasm: round(wasm.epochSeconds!, 1) }), ...(torch.ok && { torch: round(torch.epoch_seconds[0]!, 1) }) },
    load_avg_1min: { ...(wasm && { wasm: wasm.load }), torch: torchLoad },
    host_event_loop_lag_ms: wasm?.lag ? { p50: wasm.lag.p50Ms, p99: wasm.lag.p99Ms, max: wasm.lag.maxMs } : null,
    notes: [...runs.filter((r) => r.note).map((r) => `${r.backend}: ${r.note}`), ...(torch.ok ? [] : [`torch: ${torch.note}`]), keras],
  };
  const ratios = {
    wasm_vs_torch: rate('wasm') && torch.ok ? round(rate('wasm')! / torch.samples_per_s) : null,
    ...(rate('tensorflow') !== undefined && { node_vs_keras: null }),
  };
  const result: BenchResult = { bench: 'train', metrics, ratios, machine: machine() };
  const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED');
  const rows = [
    ...runs.map((r) => [
      `tfjs ${r.backend}`,
      r.ok ? Math.round(r.samplesPerSec!) : '-',
      r.testAccuracy?.toFixed(4) ?? '-',
      r.ok ? (r.note ?? '') : `not available: ${r.note}`,
    ]),
    [
      'PyTorch 2 threads (reference)',
      torch.ok ? Math.round(torch.samples_per_s) : '-',
      torch.ok ? torch.test_acc.toFixed(4) : '-',
      torch.ok ? `torch ${torch.version}` : torch.note,
    ],
  ];
  const markdown = [
    'mnist-cnn (the Keras mnist_convnet example, 34,826 parameters) on Fashion-MNIST ' +
      `(60,000 training images from Debian's dataset-fashion-mnist), batch ${BATCH}, Adam 0.001, one epoch; ` +
      `samples/s in steady state (after ${WARMUP_BATCHES} batches), training in Tributary's training thread.`,
    '',
    '| run | samples/s | test accuracy after 1 epoch | |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `wasm vs PyTorch: ${ratios.wasm_vs_torch ?? '-'}x ` +
      `(target >= 0.6x: ${verdict(ratios.wasm_vs_torch === null ? null : ratios.wasm_vs_torch >= 0.6)}); ` +
      `test accuracy after one epoch >= 0.85: ${verdict(wasm?.testAccuracy === undefined ? null : wasm.testAccuracy >= 0.85)}.`,
    '',
    "Host event-loop lag while wasm trained in its thread (every batch's progress event delivered): " +
      `p50 ${wasm?.lag?.p50Ms ?? '-'} ms, p99 ${wasm?.lag?.p99Ms ?? '-'} ms, max ${wasm?.lag?.maxMs ?? '-'} ms ` +
      `(target p99 < 50 ms: ${verdict(wasm?.lag === undefined ? null : wasm.lag.p99Ms < 50)}).`,
    '',
    `1-minute load average as each run started: wasm ${wasm?.load ?? '-'}, PyTorch ${torchLoad} ` +
      "(about 0 on an idle machine; other load slows PyTorch's 2 threads most).",
    '',
    keras + '.',
  ].join('\n');
  console.log(table(['run', 'samples/s', 'test acc (1 epoch)', 'note'], rows));
  console.log(`\nrecorded in ${await recordInDocs(result, markdown)}`);
  console.log(JSON.stringify(result));
}

await main();
