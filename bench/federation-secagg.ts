// Runs from `npm run bench:federation -- --secagg`: what SecAgg+ costs a round over plain FedAvg (time and bytes), mnist-cnn and a
// 5M-parameter MLP at 3 and 10 parties on loopback, the two alternated in one run so a loaded machine weighs on both alike.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { table } from '../main/cli/table.js';
import { loadFull, type Dataset, type Split } from '../main/federation/local/fashion-mnist.js';
import { writeSites, type Site } from '../main/federation/local/sites.js';
import { splitSamples } from '../main/federation/local/split.js';
import type { RoundRecord } from '../main/federation/server/metrics-history.js';
import type { ModelRun, measure as Measure } from './federation.js';
import { machine, recordInDocs, type BenchResult } from './lib/report.js';
import { writeWideMlp } from './lib/wide-mlp.js';
import type { CostSummary } from './lib/round-costs.js';

const PARTY_COUNTS = [3, 10];
/** Each party trains on this many images (the full bench's 20,000 a party would take too long here at 10 parties). */
const SAMPLES_PER_PARTY = 2000;
const TEST_IMAGES = 1000;
/** Round 1 is left out, as in the plain bench. */
const ROUNDS = 3;
const TARGETS = { overhead_fraction: 0.15, bytes_vs_plain: 1.3 };
const MNIST_CNN: ModelRun = { key: 'mnist_cnn', label: 'mnist-cnn', choice: { builtin: 'mnist-cnn' }, parameters: 34_826 };

interface Pair {
  model: ModelRun;
  parties: number;
  plain: CostSummary;
  secagg: CostSummary;
  /** SecAgg+'s stages other than collect_masked_vectors (which holds the training), mean per measured round. */
  keyStagesS: number;
  /** Which ran first. */
  order: string;
}

export async function secAggBench(measure: typeof Measure): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-secagg-'));
  const load = os.loadavg()[0]!;
  try {
    const dataset = await loadFull();
    const wide = path.join(work, 'wide-mlp-5m.json');
    const models = [
      MNIST_CNN,
      { key: 'wide_mlp_5m', label: 'wide MLP 5M', choice: { path: wide }, parameters: await writeWideMlp(wide, [28, 28, 1], 10) },
    ];
    const pairs: Pair[] = [];
    for (const [index, parties] of PARTY_COUNTS.entries()) {
      const sites = await siteSet(dataset, parties, path.join(work, `sites-${parties}`));
      for (const [modelIndex, model] of models.entries()) {
        // Alternate which goes first, so drift in the machine's load does not always favour one.
        const first = (index + modelIndex) % 2 === 0;
        pairs.push(await measurePair(measure, model, parties, sites, path.join(work, `${model.key}-${parties}`), first));
      }
    }
    await report(pairs, load);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function measurePair(
  measure: typeof Measure,
  model: ModelRun,
  parties: number,
  sites: Site[],
  dir: string,
  plainFirst: boolean,
): Promise<Pair> {
  const order = plainFirst ? (['plain', 'secagg'] as const) : (['secagg', 'plain'] as const);
  const runs: Partial<Record<'plain' | 'secagg', { summary: CostSummary; records: RoundRecord[] }>> = {};
  for (const kind of order) {
    console.error(`${model.label}, ${parties} parties, ${kind}: ${ROUNDS} rounds of 1 epoch on ${SAMPLES_PER_PARTY} images each...`);
    runs[kind] = await measure(model, 'grpc', sites, path.join(dir, kind), { secagg: kind === 'secagg', rounds: ROUNDS });
  }
  const keyStagesS = mean(runs.secagg!.records, (record) =>
    (record.secagg?.stages ?? [])
      .filter((stage) => stage.stage !== 'collect_masked_vectors')
      .reduce((sum, stage) => sum + stage.seconds, 0),
  );
  return { model, parties, plain: runs.plain!.summary, secagg: runs.secagg!.summary, keyStagesS, order: order.join(' then ') };
}

/** `parties` IID shares of Fashion-MNIST's training set, cut to SAMPLES_PER_PARTY each, and the first TEST_IMAGES test images. */
async function siteSet(dataset: Dataset, parties: number, dir: string): Promise<Site[]> {
  const { parts } = splitSamples(dataset.train.labels, { parties, nonIid: false, seed: 0, classes: 10 });
  return writeSites(
    { ...dataset, test: firstImages(dataset.test, TEST_IMAGES) },
    parts.map((part) => part.slice(0, SAMPLES_PER_PARTY)),
    dir,
  );
}

function firstImages(split: Split, count: number): Split {
  if (split.kind === 'files') return { kind: 'files', files: split.files.slice(0, count), labels: split.labels.slice(0, count) };
  return { ...split, pixels: split.pixels.subarray(0, count * split.rows * split.cols), labels: split.labels.slice(0, count) };
}

function mean<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((sum, item) => sum + pick(item), 0) / items.length;
}

async function report(pairs: Pair[], loadBefore: number): Promise<void> {
  const verdict = (value: number, target: number) => (value < target ? 'met' : 'MISSED');
  const rows = pairs.map(({ model, parties, plain, secagg, keyStagesS, order }) => {
    const extra = secagg.overhead_s - plain.overhead_s;
    const bytes = secagg.wire_bytes_per_round / plain.wire_bytes_per_round;
    return [
      model.label,
      String(parties),
      plain.round_s.toFixed(1),
      secagg.round_s.toFixed(1),
      `${plain.compute_s.toFixed(1)} / ${secagg.compute_s.toFixed(1)}`,
      `${plain.overhead_s.toFixed(2)} / ${secagg.overhead_s.toFixed(2)}`,
      `${extra.toFixed(2)} (${((extra / secagg.round_s) * 100).toFixed(1)} %, ${verdict(extra / secagg.round_s, TARGETS.overhead_fraction)})`,
      keyStagesS.toFixed(2),
      `${(plain.wire_bytes_per_round / 1e6).toFixed(2)} / ${(secagg.wire_bytes_per_round / 1e6).toFixed(2)}`,
      `${bytes.toFixed(3)}x (${verdict(bytes, TARGETS.bytes_vs_plain)})`,
      `${plain.calls_per_round} / ${secagg.calls_per_round}`,
      order,
    ];
  });
  const headers = [
    'model',
    'parties',
    'plain round s',
    'SecAgg+ round s',
    'compute s (plain / SecAgg+)',
    'overhead s (plain / SecAgg+)',
    'SecAgg+ extra overhead s (of its round)',
    'key stages s',
    'wire MB (plain / SecAgg+)',
    'SecAgg+ / plain bytes',
    'calls',
    'order',
  ];
  const ratios: BenchResult['ratios'] = {};
  const metrics: Record<string, unknown> = {
    samples_per_party: SAMPLES_PER_PARTY,
    test_images: TEST_IMAGES,
    rounds_measured: ROUNDS - 1,
    load_average_1m_before: loadBefore,
    load_average_1m_after: os.loadavg()[0]!,
  };
  for (const { model, parties, plain, secagg, keyStagesS } of pairs) {
    const key = `${model.key}_${parties}`;
    ratios[`secagg_extra_overhead_fraction_${key}`] = round4((secagg.overhead_s - plain.overhead_s) / secagg.round_s);
    ratios[`secagg_bytes_vs_plain_${key}`] = round4(secagg.wire_bytes_per_round / plain.wire_bytes_per_round);
    metrics[key] = { parameters: model.parameters, plain, secagg, key_stages_s: round4(keyStagesS) };
  }
  const result: BenchResult = { bench: 'federation-secagg', metrics, ratios, machine: machine() };
  const markdown = [
    `mnist-cnn (${MNIST_CNN.parameters.toLocaleString('en-US')} parameters) and a wide MLP (${pairs.at(-1)!.model.parameters.toLocaleString('en-US')}), ` +
      'the reference aggregator and 3 or 10 parties in one process on ' +
      `loopback (gRPC, plain text), each party on its own IID share of Fashion-MNIST cut to ${SAMPLES_PER_PARTY} images, evaluating on ` +
      `${TEST_IMAGES} test images; ${ROUNDS} rounds of 1 local epoch, round 1 left out, means per round. Plain FedAvg and SecAgg+ ` +
      '(num_shares 3, threshold 2, max_weight: all examples) alternated in one run. "Extra overhead" is SecAgg+\'s round minus its ' +
      "slowest party's compute, less the same for plain FedAvg: the protocol's cost without the training-time noise between runs. " +
      `1-minute load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after (2 cores shared with other jobs).`,
    '',
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Targets: SecAgg+'s extra overhead under ${TARGETS.overhead_fraction * 100} % of its round for mnist-cnn at 3 parties, ` +
      `bytes under ${TARGETS.bytes_vs_plain}x plain.`,
  ].join('\n');
  console.log(table(headers, rows));
  console.log(`\nrecorded in ${await recordInDocs(result, markdown)}`);
  console.log(JSON.stringify(result));
}

const round4 = (value: number) => Math.round(value * 1e4) / 1e4;
