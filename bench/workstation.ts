// Runs as `npm run bench:workstation [-- --quick]`: does the hospital workstation stay usable while its party trains?
// A site's services process (the real services host, in a child) joins the reference aggregator and trains mnist-cnn on
// the Fashion-MNIST sample round after round, with training.threads and data.info.workers at 1 and then at 2; meanwhile
// a foreground CPU task (another child, as another app) is timed, and the services process measures its own event-loop
// delay (what the UI waits for an answer). Settings alternate (idle, 1, 2, then 2, 1, idle), so a drift of the machine's
// load falls on both sides; the 1-minute load average is recorded at each phase.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs, promisify } from 'node:util';
import { table } from '../main/cli/table.js';
import { loadTfjsNode } from '../main/engine/backend.js';
import { Aggregator } from '../main/federation/server/aggregator.js';
import { AggregatorConfigSchema } from '../main/federation/server/config.js';
import { machine, recordInDocs, repoRoot, round, type BenchResult } from './lib/report.js';

type Setting = 'idle' | 1 | 2;

interface Phase {
  setting: Setting;
  /** The foreground task's times, ms. */
  foreground: number[];
  loop: { loop_p50_ms: number; loop_p99_ms: number; loop_max_ms: number; rounds: number } | null;
  load1: number;
}

const here = path.dirname(new URL(import.meta.url).pathname);
const child = (name: string) => path.join(here, 'lib', `${name}.js`);

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } }, strict: true });
const QUICK = values.quick;
const REPEATS = QUICK ? 1 : 2;
/** About 55 ms each on an idle 2-core EPYC: several rounds' worth of training under each setting. */
const TASKS = QUICK ? 40 : 120;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

async function foreground(): Promise<number[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [child('workstation-foreground'), String(TASKS)], { timeout: 600_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as number[];
}

/** The example party, pointed at the aggregator, with its data paths absolute and the engine and decode threads at `threads`. */
async function partyConfig(dir: string, server: string, backend: string, threads: number): Promise<string> {
  const example = await readFile(path.join(repoRoot, 'examples/image-folder/party.yaml'), 'utf8');
  const yaml = example
    .replaceAll('../../assets/', `${path.join(repoRoot, 'assets')}/`)
    .replace('server: 127.0.0.1:9092', `server: ${server}`)
    .replace(/^( {2}key_file: .*\n)/m, '$1  poll_interval: 0.2\n')
    .replace(/^ {2}backend: auto.*\n/m, `  backend: ${backend}\n  threads: ${threads}\n`)
    .replace(/^( {4}batch_size: 64.*\n)/m, `$1    workers: ${threads}\n`);
  const site = path.join(dir, `site-threads-${threads}`);
  await mkdir(site, { recursive: true });
  const file = path.join(site, 'party.yaml');
  await writeFile(file, yaml);
  return file;
}

/** Starts the services child on `config`, waits for it to train, times the foreground task, then stops it. */
async function whileTraining(config: string): Promise<Pick<Phase, 'foreground' | 'loop'>> {
  const services = spawn(process.execPath, [child('workstation-party'), config], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: services.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the services child ended before it reported');
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  try {
    await next(); // {training: true}
    const times = await foreground();
    services.stdin.write('stop\n');
    const loop = (await next()) as Phase['loop'];
    return { foreground: times, loop };
  } finally {
    await new Promise((resolve) => (services.exitCode === null ? services.once('exit', resolve) : resolve(undefined)));
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-workstation-'));
  const backend = (await loadTfjsNode()) === undefined ? 'tensorflow' : 'wasm';
  const aggregator = new Aggregator(
    AggregatorConfigSchema.parse({
      model: { builtin: 'mnist-cnn', input_shape: [28, 28, 1], classes: 10 },
      rounds: 100_000,
      min_nodes: 1,
      round_timeout: 120,
      insecure: true,
      out: path.join(dir, 'aggregator'),
      // Three epochs a round: training, not the gaps between rounds, is most of what the foreground task runs beside.
      train: { local_epochs: 3, lr: 0.001, batch_size: 32 },
      listen: { grpc: '127.0.0.1:0', rest: null },
    }),
    dir,
  );
  const address = (await aggregator.start()).grpc!;
  const stop = new AbortController();
  const running = aggregator.run(stop.signal).catch(() => undefined);
  const configs = { 1: await partyConfig(dir, address, backend, 1), 2: await partyConfig(dir, address, backend, 2) };
  const phases: Phase[] = [];
  try {
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const order: Setting[] = repeat % 2 ? [2, 1, 'idle'] : ['idle', 1, 2];
      for (const setting of order) {
        const load1 = os.loadavg()[0]!;
        console.error(`  ${setting === 'idle' ? 'idle' : `threads ${setting}`} (load ${load1.toFixed(2)})`);
        const measured = setting === 'idle' ? { foreground: await foreground(), loop: null } : await whileTraining(configs[setting]);
        phases.push({ setting, load1, ...measured });
      }
    }
  } finally {
    stop.abort();
    await aggregator.close();
    await running;
    await rm(dir, { recursive: true, force: true });
  }
  await report(phases, backend);
}

async function report(phases: Phase[], backend: string): Promise<void> {
  const of = (setting: Setting) => phases.filter((phase) => phase.setting === setting);
  const idle = median(of('idle').flatMap((phase) => phase.foreground));
  const summary = ([1, 2] as const).map((threads) => {
    const runs = of(threads);
    const fg = median(runs.flatMap((phase) => phase.foreground));
    const loops = runs.map((phase) => phase.loop!);
    return {
      threads,
      foreground_ms: round(fg, 1),
      slowdown: round(fg / idle, 3),
      loop_p50_ms: round(median(loops.map((loop) => loop.loop_p50_ms))),
      loop_p99_ms: round(Math.max(...loops.map((loop) => loop.loop_p99_ms))),
      loop_max_ms: round(Math.max(...loops.map((loop) => loop.loop_max_ms))),
      rounds_during: loops.reduce((n, loop) => n + loop.rounds, 0),
    };
  });
  const printed = table(
    ['setting', 'foreground task (median ms)', 'slowdown vs idle', 'services loop p50 (ms)', 'p99 (ms)', 'max (ms)', 'rounds'],
    [
      ['idle', round(idle, 1), 1, '—', '—', '—', '—'],
      ...summary.map((s) => [
        `training, threads ${s.threads}`,
        s.foreground_ms,
        s.slowdown,
        s.loop_p50_ms,
        s.loop_p99_ms,
        s.loop_max_ms,
        s.rounds_during,
      ]),
    ],
  );
  console.log(printed);
  const [one, two] = summary;
  const withLoad = { ...machine(), load_average_1m: phases.map((phase) => round(phase.load1, 2)) };
  const result: BenchResult = {
    bench: 'workstation',
    metrics: {
      quick: QUICK,
      backend,
      model: 'mnist-cnn',
      foreground_tasks_per_phase: TASKS,
      repeats: REPEATS,
      idle_foreground_ms: round(idle, 1),
      threads_1: one,
      threads_2: two,
      phases: phases.map((phase) => ({
        setting: phase.setting,
        foreground_median_ms: round(median(phase.foreground), 1),
        load1: round(phase.load1, 2),
        ...(phase.loop && { loop: phase.loop }),
      })),
    },
    ratios: {
      foreground_slowdown_threads_1: one!.slowdown,
      foreground_slowdown_threads_2: two!.slowdown,
      foreground_threads_2_vs_1: round(two!.foreground_ms / one!.foreground_ms, 3),
    },
    machine: withLoad,
  };
  if (!QUICK) await recordInDocs(result, docsText(printed));
  console.log(JSON.stringify(result));
}

function docsText(printed: string): string {
  return [
    '## Workstation: the machine while its party trains (`npm run bench:workstation`)',
    '',
    'A site joined to the reference aggregator on loopback trains mnist-cnn on the Fashion-MNIST sample (1,000 images) round ' +
      'after round, in the real services process (a child); another child times a foreground CPU task (build, serialise, parse ' +
      'and sort 40,000 records) idle and while training, and the services process measures its own event-loop delay ' +
      "(perf_hooks monitorEventLoopDelay, what the UI's calls wait for). `training.threads` and `data.info.workers` are set " +
      'to 1, then 2; the phases alternate. The services loop columns are its delay beyond the 10 ms timer; `load_average_1m` ' +
      'in the JSON is the machine at each phase (above its cores, other work shared it).',
    '',
    '```',
    printed,
    '```',
  ].join('\n');
}

await main();
