// Runs as `npm run bench:federation`: a round's federation overhead and bytes on the wire,
// 3 parties and the reference aggregator on loopback, for mnist-cnn and a 5M-parameter net;
// `-- --secagg`: SecAgg+ against plain FedAvg, alternated, at 3 and 10 parties (bench/federation-secagg.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { table } from '../main/cli/table.js';
import { loadFull } from '../main/federation/local/fashion-mnist.js';
import { LocalFederation } from '../main/federation/local/local-federation.js';
import { writeSites, type ModelChoice, type Site } from '../main/federation/local/sites.js';
import { splitSamples } from '../main/federation/local/split.js';
import type { RoundRecord } from '../main/federation/server/metrics-history.js';
import { startByteProxy, type ByteProxy } from './lib/byte-proxy.js';
import { machine, recordInDocs, type BenchResult } from './lib/report.js';
import { NO_TRAFFIC, roundCost, summarise, trafficSince, type CostSummary, type RoundCost, type Traffic } from './lib/round-costs.js';
import { countingTransport, newTally } from './lib/rpc-counter.js';
import { writeWideMlp } from './lib/wide-mlp.js';

const PARTIES = 3;
/** Round 1 is left out of the numbers: it pays for every first-time cost (JIT, first allocations, connection set-up). */
const ROUNDS = 3;
const TRANSPORTS = ['grpc', 'rest'] as const;
const SETTINGS = {
  learningRate: 0.002,
  batchSize: 32,
  seed: 0,
  pollInterval: 0.1,
  threads: Math.max(1, Math.floor(os.availableParallelism() / PARTIES)),
};
const TARGETS = { overhead_fraction: 0.05, wire_vs_raw: 1.05 };

export interface ModelRun {
  key: string;
  label: string;
  choice: ModelChoice;
  parameters: number;
}

export interface MeasureOptions {
  /** The aggregator trains under SecAgg+ (max_weight: every site's examples, so none is scaled up). */
  secagg?: boolean;
  rounds?: number;
}

export async function measure(
  model: ModelRun,
  transport: 'grpc' | 'rest',
  sites: Site[],
  out: string,
  options: MeasureOptions = {},
): Promise<{ summary: CostSummary; records: RoundRecord[] }> {
  const rounds = options.rounds ?? ROUNDS;
  const examples = sites.reduce((sum, site) => sum + site.trainSamples, 0);
  let proxy: ByteProxy | undefined;
  let federation: LocalFederation | undefined;
  const tally = newTally();
  const costs: RoundCost[] = [];
  let before: Traffic = NO_TRAFFIC;
  const onRoundDone = (record: RoundRecord) => {
    const { up, down } = proxy!.bytes();
    const now: Traffic = { wireBytes: up + down, calls: tally.calls, payloadBytes: tally.payloadBytes, idleBytes: tally.idleBytes };
    costs.push(roundCost(record, federation!.parties, trafficSince(before, now)));
    before = now;
    console.error(`  round ${record.round}: ${record.seconds.toFixed(1)} s, accuracy ${record.eval_accuracy?.toFixed(4)}`);
  };
  try {
    federation = await LocalFederation.start(
      {
        sites,
        settings: { ...SETTINGS, model: model.choice },
        transport,
        rounds,
        localEpochs: 1,
        out,
        ...(options.secagg && { secagg: { enabled: true, max_weight: examples } }),
        route: async (address) => (proxy = await startByteProxy(address)).address,
        openTransport: countingTransport(tally),
      },
      (aggregator) => aggregator.events.on((event) => event.type === 'round-done' && onRoundDone(event.record)),
    );
    const result = await federation.run();
    const failed = result.records.filter((record) => record.status !== 'completed');
    if (failed.length > 0) {
      // The round's reason, and its first node dropped or reply refused: usually the cause.
      const firstProblem = ({ train }: RoundRecord) => train.dropped[0] ?? train.refused[0];
      const why = failed
        .map((record) => {
          const problem = firstProblem(record);
          return `round ${record.round}: ${record.reason ?? 'no reason given'}${problem ? ` (first: node ${problem.node}, ${problem.reason})` : ''}`;
        })
        .join('; ');
      throw new Error(`${model.label} over ${transport}, ${sites.length} parties: ${failed.length} round(s) did not complete (${why})`);
    }
    return { summary: summarise(costs.slice(1), model.parameters, sites.length), records: result.records.slice(1) };
  } finally {
    await federation?.close();
    await proxy?.close();
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-federation-'));
  try {
    const dataset = await loadFull();
    const split = splitSamples(dataset.train.labels, { parties: PARTIES, nonIid: false, seed: 0, classes: 10 });
    const sites = await writeSites(dataset, split.parts, path.join(work, 'sites'));
    const wide = path.join(work, 'wide-mlp-5m.json');
    const models: ModelRun[] = [
      { key: 'mnist_cnn', label: 'mnist-cnn', choice: { builtin: 'mnist-cnn' }, parameters: 34_826 },
      { key: 'wide_mlp_5m', label: 'wide MLP 5M', choice: { path: wide }, parameters: await writeWideMlp(wide, [28, 28, 1], 10) },
    ];
    const runs: Run[] = [];
    for (const model of models) {
      for (const transport of TRANSPORTS) {
        console.error(`${model.label} over ${transport}: ${PARTIES} parties x ${ROUNDS} rounds of 1 epoch on 20,000 images each...`);
        const { summary } = await measure(model, transport, sites, path.join(work, `${model.key}-${transport}`));
        runs.push({ model, transport, summary });
      }
    }
    await report(runs);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

type Run = { model: ModelRun; transport: string; summary: CostSummary };

async function report(runs: Run[]): Promise<void> {
  const verdict = (value: number, target: number) => (value < target ? 'met' : 'MISSED');
  const timeHeaders = ['model', 'transport', 'round s', 'compute s', 'overhead s', 'overhead', 'aggregator s', 'party i/o s'];
  const timeRows = runs.map(({ model, transport, summary: s }) => [
    model.label,
    transport,
    s.round_s.toFixed(1),
    s.compute_s.toFixed(1),
    s.overhead_s.toFixed(2),
    `${(s.overhead_fraction * 100).toFixed(2)} % (${verdict(s.overhead_fraction, TARGETS.overhead_fraction)})`,
    s.aggregator_s.toFixed(2),
    s.party_io_s.toFixed(2),
  ]);
  const byteHeaders = ['model', 'transport', 'raw MB', 'wire MB', 'wire/raw', 'payload/raw', 'calls', 'idle KB'];
  const byteRows = runs.map(({ model, transport, summary: s }) => [
    model.label,
    transport,
    (s.raw_bytes_per_round / 1e6).toFixed(3),
    (s.wire_bytes_per_round / 1e6).toFixed(3),
    `${s.wire_vs_raw.toFixed(3)}x (${verdict(s.wire_vs_raw, TARGETS.wire_vs_raw)})`,
    `${s.payload_vs_raw.toFixed(3)}x`,
    s.calls_per_round,
    (s.idle_bytes_per_round / 1e3).toFixed(1),
  ]);
  const ratios: BenchResult['ratios'] = {};
  const metrics: Record<string, unknown> = {
    parties: PARTIES,
    rounds_measured: ROUNDS - 1,
    samples_per_party: 20_000,
    wasm_threads_per_party: SETTINGS.threads,
    poll_interval_s: SETTINGS.pollInterval,
  };
  for (const { model, transport, summary } of runs) {
    const suffix = transport === 'grpc' ? '' : `_${transport}`;
    ratios[`overhead_fraction_${model.key}${suffix}`] = summary.overhead_fraction;
    ratios[`wire_vs_raw_${model.key}${suffix}`] = summary.wire_vs_raw;
    metrics[`${model.key}_${transport}`] = { parameters: model.parameters, ...summary };
  }
  const result: BenchResult = { bench: 'federation', metrics, ratios, machine: machine() };
  const markdownTable = (headers: string[], rows: (string | number)[][]) =>
    [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  const markdown = [
    `${PARTIES} parties and the reference aggregator in one process on loopback (plain text), each party with its own training thread ` +
      `(${SETTINGS.threads} wasm thread${SETTINGS.threads > 1 ? 's' : ''}, polling every ${SETTINGS.pollInterval} s when idle) ` +
      'on its own IID third of Fashion-MNIST (20,000 images), evaluating on the 10,000 test images; ' +
      `${ROUNDS} FedAvg rounds of 1 local epoch (Adam 0.002, batch 32, as the demo's --full), round 1 left out; means per round.`,
    '',
    markdownTable(timeHeaders, timeRows),
    '',
    markdownTable(byteHeaders, byteRows),
    '',
    `Targets: overhead under ${TARGETS.overhead_fraction * 100} % of the round, wire bytes under ${TARGETS.wire_vs_raw}x raw.`,
  ].join('\n');
  console.log(`${table(timeHeaders, timeRows)}\n\n${table(byteHeaders, byteRows)}`);
  console.log(`\nrecorded in ${await recordInDocs(result, markdown)}`);
  console.log(JSON.stringify(result));
}

if (process.argv.includes('--secagg')) {
  const { secAggBench } = await import('./federation-secagg.js');
  await secAggBench(measure);
} else await main();
