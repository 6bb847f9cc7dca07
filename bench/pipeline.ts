// Runs as `npm run bench:pipeline`: where the end-to-end PNG row's time goes: the data side alone, training alone, both, per backend.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { table } from '../main/cli/table.js';
import { FASHION_MNIST_CLASSES, fashionMnistPngTree } from './datasets/fashion-mnist-png.js';
import { runJson, type JsonRun } from './lib/python.js';
import { machine, repoRoot, round, type BenchResult } from './lib/report.js';
import { tutorialFit } from './lib/train-runs.js';
import { ensureVenv, type VenvResult } from './lib/venv.js';
import type { PipelineRequest, PipelineResult } from './pipeline-run.js';
import { runTutorialReference } from './reference/tutorial.js';

const USAGE = `npm run bench:pipeline -- [--quick] [--backends tensorflow,wasm] [--repeats N] [--steps N] [--workers N] [--prefetch N] [--against DIR]
  --quick     300 training steps per run and one repeat (default: a whole epoch, 938 steps, 2 repeats)
  --steps     training steps per run (default: the whole epoch)
  --backends  the tfjs backends to train on (default: tensorflow,wasm)
  --workers, --prefetch  the ImageFolder config's decode threads and prefetch depth (default: the handler's own)
  --against   another checkout's root, built (npm run build): every Tributary run is made with both builds, alternating,
              the other one labelled "against", to measure a change before and after in one run`;

const BATCH = 64;
const SAMPLES = 60_000;
const OUT = path.join(repoRoot, 'bench', 'out', 'pipeline');
const MEMORY_HANDLER = path.join(repoRoot, 'bench', 'lib', 'memory-handler.mjs');
const RUN_TIMEOUT_MS = 30 * 60_000;
const log = (line: string) => console.error(line);
const loadAverage = () => round(os.loadavg()[0]!, 2);

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      backends: { type: 'string', default: 'tensorflow,wasm' },
      repeats: { type: 'string' },
      steps: { type: 'string' },
      workers: { type: 'string' },
      prefetch: { type: 'string' },
      against: { type: 'string' },
    },
  });
  const whole = (name: string, value: string | undefined, fallback: number | null) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a whole number of at least 1, got ${value}\n${USAGE}`);
    return n;
  };
  const backends = values.backends.split(',').map((name) => name.trim());
  const unknown = backends.filter((name) => name !== 'tensorflow' && name !== 'wasm' && name !== 'cpu');
  if (unknown.length > 0) throw new Error(`--backends: unknown ${unknown.join(', ')} (tensorflow, wasm, cpu)\n${USAGE}`);
  return {
    quick: values.quick,
    backends: backends as ('tensorflow' | 'wasm' | 'cpu')[],
    repeats: whole('repeats', values.repeats, values.quick ? 1 : 2)!,
    steps: whole('steps', values.steps, values.quick ? 300 : null),
    workers: whole('workers', values.workers, null),
    prefetch: whole('prefetch', values.prefetch, null),
    against: values.against === undefined ? null : path.resolve(values.against),
  };
}

type Options = ReturnType<typeof options>;

/** The end-to-end row's ImageFolder config (train split only), and the same shapes from memory. */
async function writeConfigs(train: string, opts: Options): Promise<{ images: string; memory: string }> {
  await fsp.mkdir(OUT, { recursive: true });
  const images = path.join(OUT, 'images.yaml');
  const tuning = [
    ...(opts.workers === null ? [] : [`    workers: ${opts.workers}`]),
    ...(opts.prefetch === null ? [] : [`    prefetch: ${opts.prefetch}`]),
  ];
  await fsp.writeFile(
    images,
    [
      '# Written by bench:pipeline: the Fashion-MNIST PNG tree through ImageFolder, as bench:train end-to-end row reads it.',
      'data:',
      '  name: ImageFolder',
      '  info:',
      `    train: ${JSON.stringify(train)}`,
      `    class_names: [${FASHION_MNIST_CLASSES.join(', ')}]`,
      '    image_size: [28, 28]',
      '    color_mode: grayscale',
      '    interpolation: bilinear',
      `    batch_size: ${BATCH}`,
      '    shuffle: true',
      '    seed: 0',
      ...tuning,
      '',
    ].join('\n'),
  );
  const memory = path.join(OUT, 'memory.yaml');
  await fsp.writeFile(
    memory,
    [
      '# Written by bench:pipeline: batches of the same shape from memory (bench/lib/memory-handler.mjs), to time training alone.',
      'data:',
      '  name: MemoryData',
      `  path: ${JSON.stringify(MEMORY_HANDLER)}`,
      '  info:',
      `    samples: ${SAMPLES}`,
      '    height: 28',
      '    width: 28',
      '    channels: 1',
      '    classes: 10',
      `    batch_size: ${BATCH}`,
      '',
    ].join('\n'),
  );
  return { images, memory };
}

/** What every row's run reports; the tutorial's runs measure no CPU time or waits. */
interface Measured {
  samples: number;
  samples_per_s: number;
  seconds: number;
  cpu_cores: number | null;
  waited_first_s?: number;
  waited_s?: number;
}

interface Row {
  name: string;
  runs: (Measured & { load: number })[];
  failures: string[];
}

/** A Tributary pass in its own process, from this build or the --against one (same request, that build's scripts). */
function pipelineRun(request: PipelineRequest, root: string): Promise<JsonRun<PipelineResult>> {
  return runJson<PipelineResult>(
    process.execPath,
    [path.join(root, 'dist', 'bench', 'pipeline-run.js'), JSON.stringify(request)],
    RUN_TIMEOUT_MS,
  );
}

class Rows {
  readonly #rows = new Map<string, Row>();

  add(name: string, load: number, outcome: JsonRun<Measured>): void {
    const row = this.#rows.get(name) ?? { name, runs: [], failures: [] };
    this.#rows.set(name, row);
    if (!outcome.ok) {
      row.failures.push(outcome.note);
      log(`    failed: ${outcome.note}`);
      return;
    }
    const { samples, samples_per_s, seconds, cpu_cores, waited_first_s, waited_s } = outcome.value;
    row.runs.push({ samples, samples_per_s, seconds, cpu_cores, waited_first_s, waited_s, load });
    const cores = cpu_cores === null ? '' : `, ${round(cpu_cores)} cores`;
    const waited =
      waited_s === undefined ? '' : `, waited ${round(waited_s, 2)} s for batches (+${round(waited_first_s!, 2)} s for the first)`;
    log(`    ${Math.round(samples_per_s)} samples/s, ${round(seconds, 1)} s${cores}${waited}, load ${load}`);
  }

  rate(name: string): number | null {
    const runs = this.#rows.get(name)?.runs ?? [];
    return runs.length === 0 ? null : runs.reduce((sum, run) => sum + run.samples_per_s, 0) / runs.length;
  }

  all(): Row[] {
    return [...this.#rows.values()];
  }
}

/** The builds measured: this one, and the --against one when given. */
function builds(opts: Options): { label: string; root: string }[] {
  return [{ label: '', root: repoRoot }, ...(opts.against ? [{ label: ' (against)', root: opts.against }] : [])];
}

async function measureRepeat(rows: Rows, opts: Options, configs: { images: string; memory: string }, train: string, venv: VenvResult) {
  const timed = async (name: string, run: () => Promise<JsonRun<Measured>>) => {
    log(`  ${name}...`);
    const load = loadAverage();
    rows.add(name, load, await run());
  };
  await timed('tutorial generator alone (PIL)', async () => {
    // Two epochs, the second timed: its files are in the page cache, as they are for every run after it.
    const run = await runTutorialReference(train, { batch: BATCH, epochs: 2 });
    if (!run.ok) return { ok: false, note: run.note };
    const [samples_per_s, seconds] = [run.images_per_s[1]!, run.epoch_seconds[1]!];
    return { ok: true, value: { samples: Math.round(samples_per_s * seconds), samples_per_s, seconds, cpu_cores: null } };
  });
  if (venv.ok)
    await timed('tutorial generator + Keras fit', async () => {
      const run = await tutorialFit(venv.python, train, 1);
      if (!run.ok) return run;
      const epoch = run.value.epochs[0]!;
      return {
        ok: true,
        value: { samples: run.value.samples, samples_per_s: epoch.samples_per_s, seconds: epoch.seconds, cpu_cores: null },
      };
    });
  for (const { label, root } of builds(opts))
    await timed(`generator alone${label}`, () => pipelineRun({ mode: 'generator', configFile: configs.images }, root));
  for (const backend of opts.backends) {
    for (const { label, root } of builds(opts)) {
      const request = { mode: 'train', backend, maxSteps: opts.steps } as const;
      await timed(`${backend}: training alone${label}`, () => pipelineRun({ ...request, configFile: configs.memory }, root));
      await timed(`${backend}: generator + training${label}`, () => pipelineRun({ ...request, configFile: configs.images }, root));
    }
  }
}

const ratio = (a: number | null, b: number | null) => (a !== null && b !== null ? round(a / b) : null);

function ratiosOf(rows: Rows, opts: Options): Record<string, number | null> {
  const ratios: Record<string, number | null> = {};
  for (const { label } of builds(opts)) {
    const suffix = label ? '_against' : '';
    ratios[`generator_vs_tutorial_generator${suffix}`] = ratio(
      rows.rate(`generator alone${label}`),
      rows.rate('tutorial generator alone (PIL)'),
    );
    for (const backend of opts.backends) {
      const both = rows.rate(`${backend}: generator + training${label}`);
      ratios[`${backend}_both_vs_training_alone${suffix}`] = ratio(both, rows.rate(`${backend}: training alone${label}`));
      ratios[`${backend}_generator_vs_training_alone${suffix}`] = ratio(
        rows.rate(`generator alone${label}`),
        rows.rate(`${backend}: training alone${label}`),
      );
      ratios[`${backend}_both_vs_tutorial_fit${suffix}`] = ratio(both, rows.rate('tutorial generator + Keras fit'));
    }
  }
  if (opts.against)
    for (const backend of opts.backends)
      ratios[`${backend}_both_vs_against`] = ratio(
        rows.rate(`${backend}: generator + training`),
        rows.rate(`${backend}: generator + training (against)`),
      );
  return ratios;
}

async function main(): Promise<void> {
  const opts = options();
  log('preparing Fashion-MNIST as a PNG tree (cached after the first run)...');
  const tree = await fashionMnistPngTree(path.join(repoRoot, 'bench', 'out', 'fashion-mnist-png'));
  const configs = await writeConfigs(tree.train, opts);
  const venv = await ensureVenv(log);
  log(venv.ok ? `Keras reference: ${venv.versions}` : `the tutorial's generator + fit is not measured: ${venv.note}`);
  const rows = new Rows();
  for (let repeat = 1; repeat <= opts.repeats; repeat++) {
    log(`repeat ${repeat} of ${opts.repeats}:`);
    await measureRepeat(rows, opts, configs, tree.train, venv);
  }
  const ratios = ratiosOf(rows, opts);
  const metrics = {
    samples: SAMPLES,
    batch: BATCH,
    training_steps: opts.steps ?? 'epoch',
    workers: opts.workers ?? 'default',
    prefetch: opts.prefetch ?? 'default',
    against: opts.against,
    rows: Object.fromEntries(rows.all().map((row) => [row.name, { ...row, name: undefined }])),
    load_avg_1min_at_end: loadAverage(),
  };
  const headers = ['run', 'samples/s (mean)', 'each run', 'seconds', 'cores', 'CPU us/sample', 'waited s (first batch)', 'load 1m'];
  const each = (row: Row, cell: (run: Row['runs'][number]) => string | number) => row.runs.map(cell).join(', ');
  const body = rows.all().map((row) => {
    const rate = rows.rate(row.name);
    return [
      row.name,
      rate === null ? `failed: ${row.failures[0]}` : Math.round(rate),
      each(row, (run) => Math.round(run.samples_per_s)),
      each(row, (run) => round(run.seconds, 1)),
      each(row, (run) => (run.cpu_cores === null ? '-' : round(run.cpu_cores))),
      each(row, (run) => (run.cpu_cores === null ? '-' : Math.round((run.cpu_cores * run.seconds * 1e6) / run.samples))),
      each(row, (run) => (run.waited_s === undefined ? '-' : `${round(run.waited_s, 2)} (${round(run.waited_first_s!, 2)})`)),
      each(row, (run) => run.load),
    ];
  });
  const steps = opts.steps === null ? 'a whole epoch' : `${opts.steps} steps`;
  console.log(
    `\nFashion-MNIST PNG tree (60,000 28x28 files), batch ${BATCH}, mnist-cnn; training runs ${steps}; generator runs a whole epoch.`,
  );
  console.log(table(headers, body));
  console.log(
    `\n${Object.entries(ratios)
      .map(([name, value]) => `${name}: ${value ?? '-'}`)
      .join('\n')}`,
  );
  const result: BenchResult = { bench: 'pipeline', metrics, ratios, machine: machine() };
  console.log(JSON.stringify(result));
}

await main();
