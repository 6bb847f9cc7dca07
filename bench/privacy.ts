// Runs as `npm run bench:privacy [-- --quick]`: the accuracy cost of local DP on the demo federation (3 parties,
// Fashion-MNIST, mnist-cnn): a budget of epsilon 1, 4 and 8 for the whole run against no DP, same seeds.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { PrivacySectionInput } from '../common/privacy-config.js';
import { table } from '../main/cli/table.js';
import { loadFull } from '../main/federation/local/fashion-mnist.js';
import { LocalFederation, type LocalParty } from '../main/federation/local/local-federation.js';
import { writeSites } from '../main/federation/local/sites.js';
import { splitSamples } from '../main/federation/local/split.js';
import { noiseMultiplierForRun, roundEpsilon, spent } from '../main/federation/privacy/accountant.js';
import { PrivacyLedger } from '../main/federation/privacy/ledger.js';
import { localDpEpsilonFor } from '../main/federation/privacy/noise.js';
import type { RoundRecord } from '../main/federation/server/metrics-history.js';
import { machine, recordInDocs, round, type BenchResult } from './lib/report.js';

const PARTIES = 3;
/** The demo's defaults (its --full settings): Adam 0.002, batch 32, 1 local epoch, seed 0. */
const SETTINGS = {
  model: { builtin: 'mnist-cnn' as const },
  learningRate: 0.002,
  batchSize: 32,
  seed: 0,
  pollInterval: 0.1,
  threads: Math.max(1, Math.floor(os.availableParallelism() / PARTIES)),
};
/** Below 1 / (examples per site), as delta should be; the total is reported at this delta. */
const DELTA = 1e-5;
/** Each round's whole update is clipped to this L2 norm; the noise is calibrated to sensitivity 2x this (the schema's default). */
const CLIPPING_NORM = 1;
const BUDGETS = [null, 8, 4, 1] as const;

interface Plan {
  quick: boolean;
  rounds: number;
  /** Training images per site; null: its whole third of the 60,000. */
  perSite: number | null;
}

interface Outcome {
  budget: number | null;
  /** local_dp.epsilon as set in each party.yaml (Flower's per-round formula), null without DP. */
  configEpsilon: number | null;
  noiseStd: number | null;
  accuracy: (number | null)[];
  /** The accountant's epsilon after each round (party-1's ledger; every party's is checked to be the same). */
  spentAfter: number[];
  roundEpsilon: number | null;
  /** The global model's parameter count (what the noise is spread over). */
  parameters: number;
  seconds: number;
}

function parsePlan(): Plan {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } }, strict: true });
  return values.quick ? { quick: true, rounds: 2, perSite: 2_000 } : { quick: false, rounds: 5, perSite: null };
}

/** The site policy for a run budget: per-round noise such that `rounds` releases spend `budget` under the gaussian accountant. */
function privacyFor(budget: number, rounds: number): PrivacySectionInput {
  const epsilon = localDpEpsilonFor(noiseMultiplierForRun(budget, DELTA, rounds), DELTA);
  return { local_dp: { clipping_norm: CLIPPING_NORM, epsilon, delta: DELTA }, max_total_epsilon: budget, accountant: 'gaussian' };
}

async function runOnce(plan: Plan, budget: number | null, sites: Awaited<ReturnType<typeof writeSites>>, out: string): Promise<Outcome> {
  const privacy = budget === null ? undefined : privacyFor(budget, plan.rounds);
  const started = performance.now();
  const onRound = (record: RoundRecord) =>
    console.error(
      `  round ${record.round}: ${record.status}, ${record.seconds.toFixed(1)} s, accuracy ${record.eval_accuracy?.toFixed(4)}`,
    );
  const federation = await LocalFederation.start(
    { sites, settings: { ...SETTINGS, ...(privacy && { privacy }) }, transport: 'grpc', rounds: plan.rounds, localEpochs: 1, out },
    (aggregator) => aggregator.events.on((event) => event.type === 'round-done' && onRound(event.record)),
  );
  try {
    const result = await federation.run();
    const seconds = (performance.now() - started) / 1000;
    const failed = result.records.find((record) => record.status !== 'completed');
    if (failed)
      throw new Error(`budget ${budget ?? 'none'}: round ${failed.round} did not complete (${failed.reason ?? 'no reason given'})`);
    const accuracy = result.records.map((record) => record.eval_accuracy);
    const parameters = result.weights.reduce((sum, weight) => sum + weight.data.length, 0);
    const common = { budget, accuracy, parameters, seconds };
    if (!privacy?.local_dp) return { ...common, configEpsilon: null, noiseStd: null, spentAfter: [], roundEpsilon: null };
    const spentAfter = await ledgerSpend(federation.parties, String(federation.aggregator.state.runId), plan.rounds);
    const releases = await new PrivacyLedger(ledgerFile(federation.parties[0]!)).releases(String(federation.aggregator.state.runId));
    return {
      ...common,
      configEpsilon: privacy.local_dp.epsilon,
      noiseStd: releases[0]!.noiseMultiplier * 2 * CLIPPING_NORM,
      spentAfter,
      roundEpsilon: roundEpsilon(releases[0]!),
    };
  } finally {
    await federation.close();
  }
}

const ledgerFile = (local: LocalParty) => path.join(local.site.dir, 'federation-audit.jsonl.privacy.json');

/** The run's epsilon after each round as each party's accountant counts it from its ledger; the parties must agree. */
async function ledgerSpend(parties: readonly LocalParty[], runId: string, rounds: number): Promise<number[]> {
  const perParty = await Promise.all(
    parties.map(async (local) => {
      const releases = await new PrivacyLedger(ledgerFile(local)).releases(runId);
      if (releases.length !== rounds)
        throw new Error(`${local.site.name}: ${releases.length} noised releases in its ledger, expected ${rounds}`);
      return releases.map((_, k) => spent(releases.slice(0, k + 1), DELTA, 'gaussian').epsilon);
    }),
  );
  if (perParty.some((spends) => spends.some((value, k) => value !== perParty[0]![k])))
    throw new Error(`the parties' ledgers disagree: ${JSON.stringify(perParty)}`);
  return perParty[0]!;
}

async function main(): Promise<void> {
  const plan = parsePlan();
  const work = await mkdtemp(path.join(os.tmpdir(), 'tributary-bench-privacy-'));
  const load = [os.loadavg()[0]!];
  try {
    const dataset = await loadFull();
    const split = splitSamples(dataset.train.labels, { parties: PARTIES, nonIid: false, seed: SETTINGS.seed, classes: 10 });
    const parts = split.parts.map((part) => (plan.perSite === null ? part : part.slice(0, plan.perSite)));
    const sites = await writeSites(dataset, parts, path.join(work, 'sites'));
    const outcomes: Outcome[] = [];
    for (const budget of BUDGETS) {
      console.error(
        `${budget === null ? 'no DP' : `local DP, epsilon ${budget} for the run`}: ${PARTIES} parties x ${plan.rounds} rounds...`,
      );
      // Each run starts from a clean site: no audit log or ledger from the run before (a new run id would be counted apart anyway).
      for (const site of sites) await rm(path.join(site.dir, 'federation-audit.jsonl.privacy.json'), { force: true });
      outcomes.push(await runOnce(plan, budget, sites, path.join(work, `aggregator-${budget ?? 'none'}`)));
      load.push(os.loadavg()[0]!);
    }
    await report(plan, outcomes, parts[0]!.length, load);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function report(plan: Plan, outcomes: Outcome[], perSite: number, load: number[]): Promise<void> {
  const baseline = outcomes.find((outcome) => outcome.budget === null)!;
  const final = (outcome: Outcome) => outcome.accuracy.at(-1) ?? null;
  const headers = [
    'setting',
    'local_dp.epsilon',
    'noise std',
    'noise/update',
    'accuracy by round',
    'final accuracy',
    'vs no DP',
    'epsilon spent by round',
    'run s',
  ];
  const rows = outcomes.map((outcome) => [
    outcome.budget === null ? 'no DP' : `epsilon ${outcome.budget} per run`,
    outcome.configEpsilon === null ? '—' : outcome.configEpsilon.toFixed(3),
    outcome.noiseStd === null ? '—' : outcome.noiseStd.toFixed(3),
    noiseToUpdate(outcome)?.toFixed(0) ?? '—',
    outcome.accuracy.map((value) => value?.toFixed(4) ?? '—').join(' '),
    final(outcome)?.toFixed(4) ?? '—',
    ratio(final(outcome), final(baseline))?.toFixed(3) ?? '—',
    outcome.spentAfter.length ? outcome.spentAfter.map((value) => value.toFixed(3)).join(' ') : '—',
    outcome.seconds.toFixed(0),
  ]);
  const metrics: Record<string, unknown> = {
    quick: plan.quick,
    parties: PARTIES,
    rounds: plan.rounds,
    train_images_per_site: perSite,
    delta: DELTA,
    clipping_norm: CLIPPING_NORM,
    sensitivity: 2 * CLIPPING_NORM,
    accountant: 'gaussian',
  };
  const ratios: BenchResult['ratios'] = {};
  for (const outcome of outcomes) {
    const key = outcome.budget === null ? 'no_dp' : `epsilon_${outcome.budget}`;
    metrics[key] = {
      final_accuracy: final(outcome),
      accuracy_by_round: outcome.accuracy,
      local_dp_epsilon_per_round: outcome.configEpsilon,
      exact_epsilon_per_round: outcome.roundEpsilon,
      epsilon_spent_by_round: outcome.spentAfter,
      epsilon_spent_total: outcome.spentAfter.at(-1) ?? null,
      noise_std: outcome.noiseStd,
      noise_to_update: noiseToUpdate(outcome),
      run_s: round(outcome.seconds, 1),
    };
    if (outcome.budget !== null) ratios[`accuracy_${key}_vs_no_dp`] = ratio(final(outcome), final(baseline));
  }
  const withLoad = { ...machine(), load_average_1m: load.map((value) => round(value, 2)) };
  const result: BenchResult = { bench: 'privacy', metrics, ratios, machine: withLoad };
  const markdown = [
    `${PARTIES} parties and the reference aggregator on loopback (gRPC, plain text), the demo's federation: mnist-cnn ` +
      `(34,826 parameters), each party on ${perSite.toLocaleString('en')} IID Fashion-MNIST training images ` +
      "(Debian's dataset-fashion-mnist), evaluating on the 10,000 test images (so the federated evaluation is the global " +
      `test accuracy); ${plan.rounds} FedAvg rounds of 1 local epoch (Adam 0.002, batch 32, seed 0 for model, split and ` +
      `shuffling in every run)${plan.quick ? '; --quick' : ''}. Local DP on every party: the update clipped to L2 norm ` +
      `${CLIPPING_NORM}, Gaussian noise for sensitivity ${2 * CLIPPING_NORM} at delta ${DELTA}; the per-round ` +
      '`local_dp.epsilon` set so that the gaussian accountant counts exactly the budget over the run ' +
      '(`noiseMultiplierForRun`, `localDpEpsilonFor`), with `max_total_epsilon` the budget. The noise is drawn from ' +
      "the OS's CSPRNG, as in production, so it differs between runs; everything else is seeded.",
    '',
    markdownTable(headers, rows),
    '',
    '*noise std*: per weight, per party, per round. *noise/update*: the L2 norm of the noise in the averaged update ' +
      `(std x sqrt(parameters / ${PARTIES}): ${PARTIES} equal parties' independent noise averaged) over the largest norm the ` +
      'averaged clipped updates can have (the clipping norm). *epsilon spent by round*: the gaussian accountant on each ' +
      "party's ledger after each round (every party's is checked to be the same), at the delta above.",
    '',
    `1-minute load average before the first run and after each: ${load.map((value) => value.toFixed(2)).join(', ')} ` +
      '(2 cores shared with other jobs: the run times are not comparable across machines or runs).',
  ].join('\n');
  console.log(table(headers, rows));
  // A --quick run is a check that the bench works, on a tenth of the data: it does not replace the recorded figures.
  console.log(plan.quick ? '\n--quick: not recorded in docs/benchmarks.md' : `\nrecorded in ${await recordInDocs(result, markdown)}`);
  console.log(JSON.stringify(result));
}

/** How many times longer the noise in the averaged update is than the averaged clipped updates can be. */
function noiseToUpdate({ noiseStd, parameters }: Outcome): number | null {
  return noiseStd === null ? null : (noiseStd * Math.sqrt(parameters / PARTIES)) / CLIPPING_NORM;
}

const ratio = (value: number | null, base: number | null) => (value === null || base === null || base === 0 ? null : value / base);

const markdownTable = (headers: string[], rows: (string | number)[][]) =>
  [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

await main();
