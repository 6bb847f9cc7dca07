// Runs in bench:train (Node): turns the runs into the table, the ratios against Keras, the issue-11 verdicts and the markdown of record.
import { round } from './report.js';
import type { ModelPlan, Plan } from './train-plan.js';
import type { ReferenceResult, TutorialFitResult } from './train-runs.js';
import type { EpochsResult, StepsMeasurement, StepsResult } from './tributary-run.js';

/** Tributary's tensorflow backend twice: with the step it chooses (one TensorFlow graph where it can) and with the eager step forced. */
export const RUNNERS = ['keras', 'torch', 'tensorflow', 'tensorflow-eager', 'wasm'] as const;
export type RunnerName = (typeof RUNNERS)[number];
type Measured = Omit<StepsMeasurement, 'parameters'>;
export type Outcome =
  ({ ok: true; load: number } & Measured & Partial<StepsResult & ReferenceResult>) | { ok: false; load: number; note: string };

export interface ModelReport {
  plan: ModelPlan;
  parameters: { tfjs?: number; keras?: number; torch?: number };
  /** The backend Tributary picks on its own for this model, and its report line. */
  chosen?: { backend: string; description: string };
  /** Why the model was not timed. */
  skip?: string;
  runs: Partial<Record<RunnerName, Outcome[]>>;
}

export type EndToEnd =
  | { skip: string }
  | { reference: TutorialFitResult; tributary: EpochsResult; target: number; load: { reference: number; tributary: number } };

interface Aggregate {
  samplesPerS: number;
  each: number[];
  lossAt: number;
  testAcc: number;
  peakRssMb: number;
  /** The peak as training ended, before the test pass. */
  trainPeakRssMb: number;
  cores: number;
  loads: number[];
  version?: string;
}

export interface Summary {
  name: string;
  title: string;
  headers: string[];
  rows: (string | number)[][];
  skip?: string;
  chosen?: string;
  aggregates: Partial<Record<RunnerName, Aggregate>>;
  metrics: Record<string, unknown>;
}

const TARGETS = {
  'mnist-cnn': { chosen: 1.0, wasm: 0.5 },
  resnet: { chosen: 0.8, wasm: 0.25 },
  mobilenetv2: { chosen: 0.8, wasm: 0.25 },
} as const;
const LABELS: Record<RunnerName, string> = {
  keras: 'Keras (reference)',
  torch: 'PyTorch',
  tensorflow: 'tfjs tensorflow',
  'tensorflow-eager': 'tfjs tensorflow, eager step',
  wasm: 'tfjs wasm',
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function aggregate(outcomes: Outcome[] | undefined): Aggregate | undefined {
  const ok = (outcomes ?? []).filter((o): o is Extract<Outcome, { ok: true }> => o.ok);
  if (ok.length === 0) return undefined;
  return {
    samplesPerS: mean(ok.map((o) => o.samples_per_s)),
    each: ok.map((o) => round(o.samples_per_s, 1)),
    lossAt: mean(ok.map((o) => o.loss_at)),
    testAcc: mean(ok.map((o) => o.test_acc)),
    peakRssMb: Math.max(...ok.map((o) => o.peak_rss_mb)),
    trainPeakRssMb: Math.max(...ok.map((o) => o.train_peak_rss_mb)),
    cores: mean(ok.map((o) => o.cpu_cores)),
    loads: outcomes!.map((o) => o.load),
    ...(ok[0]!.version && { version: ok[0]!.version }),
  };
}

export function summarise(report: ModelReport): Summary {
  const m = report.plan;
  const title =
    `${m.name} at ${m.side}x${m.side}x1, batch ${m.batch}, Adam 0.001, ${m.steps} seeded steps (samples/s after ${m.warmup}; ` +
    `loss = running mean after ${m.lossAt} steps; test accuracy after all ${m.steps}); parameters: tfjs ${report.parameters.tfjs ?? '-'}, ` +
    `Keras ${report.parameters.keras ?? '-'}, PyTorch ${report.parameters.torch ?? '-'}` +
    (report.chosen ? `; Tributary chooses ${report.chosen.backend} ("${report.chosen.description}")` : '');
  const aggregates: Summary['aggregates'] = {};
  for (const runner of RUNNERS) {
    const value = aggregate(report.runs[runner]);
    if (value) aggregates[runner] = value;
  }
  const keras = aggregates.keras;
  const notes = (runner: RunnerName) => [...new Set((report.runs[runner] ?? []).flatMap((o) => (o.ok ? [] : [o.note])))].join('; ');
  const rows = RUNNERS.map((runner) => {
    const a = aggregates[runner];
    const label = `${LABELS[runner]}${report.chosen?.backend === runner ? ' (chosen)' : ''}`;
    if (!a) return [label, '-', '-', '-', '-', '-', '-', '-', notes(runner) || 'not run'];
    return [
      label,
      a.each.length > 1 ? `${Math.round(a.samplesPerS)} (${a.each.map(Math.round).join(', ')})` : Math.round(a.samplesPerS),
      keras ? `${round(a.samplesPerS / keras.samplesPerS)}x` : '-',
      a.lossAt.toFixed(4),
      a.testAcc.toFixed(4),
      Math.round(a.peakRssMb),
      a.cores.toFixed(2),
      a.loads.join(', '),
      a.version ?? '',
    ];
  });
  const metrics = {
    side: m.side,
    batch: m.batch,
    steps: m.steps,
    loss_at_step: m.lossAt,
    parameters: report.parameters,
    chosen: report.chosen ?? null,
    ...(report.skip && { skip: report.skip }),
    runs: Object.fromEntries(
      Object.entries(aggregates).map(([runner, a]) => [
        runner,
        {
          samples_per_s: a.each,
          loss_at: round(a.lossAt, 4),
          test_acc: round(a.testAcc, 4),
          peak_rss_mb: round(a.peakRssMb, 1),
          train_peak_rss_mb: round(a.trainPeakRssMb, 1),
          cpu_cores: round(a.cores),
          load_avg_1min: a.loads,
        },
      ]),
    ),
    failures: Object.fromEntries(RUNNERS.filter((r) => notes(r)).map((r) => [r, notes(r)])),
  };
  return {
    name: m.name,
    title,
    headers: ['run', 'samples/s', 'x Keras', `loss@${m.lossAt}`, 'test acc', 'peak RSS MB', 'cores', 'load 1m', 'version'],
    rows,
    ...(report.skip && { skip: report.skip }),
    ...(report.chosen && { chosen: report.chosen.backend }),
    aggregates,
    metrics,
  };
}

export function ratiosOf(summaries: Summary[], e2e: EndToEnd): Record<string, number | null> {
  const ratios: Record<string, number | null> = {};
  for (const s of summaries) {
    const keras = s.aggregates.keras;
    for (const runner of RUNNERS.filter((name) => name !== 'keras')) {
      const a = s.aggregates[runner];
      ratios[`${s.name}_${runner}_vs_keras`] = a && keras ? round(a.samplesPerS / keras.samplesPerS) : null;
    }
    const [graph, eager] = [s.aggregates.tensorflow, s.aggregates['tensorflow-eager']];
    ratios[`${s.name}_tensorflow_vs_eager_step`] = graph && eager ? round(graph.samplesPerS / eager.samplesPerS) : null;
    const chosen = s.chosen === 'tensorflow' || s.chosen === 'wasm' ? s.aggregates[s.chosen] : undefined;
    ratios[`${s.name}_chosen_vs_keras`] = chosen && keras ? round(chosen.samplesPerS / keras.samplesPerS) : null;
    ratios[`${s.name}_chosen_loss_vs_keras`] = chosen && keras ? round(chosen.lossAt / keras.lossAt, 3) : null;
    ratios[`${s.name}_chosen_rss_vs_keras`] = chosen && keras ? round(chosen.peakRssMb / keras.peakRssMb) : null;
  }
  const e = 'skip' in e2e ? null : endToEndFigures(e2e);
  ratios.end_to_end_samples_vs_tutorial = e ? round(e.tributaryRate / e.referenceRate) : null;
  ratios.end_to_end_time_to_acc_vs_tutorial = e?.tributaryTime === null || !e ? null : round(e.tributaryTime / e.referenceTime);
  return ratios;
}

function endToEndFigures(e: Exclude<EndToEnd, { skip: string }>) {
  const reached = e.tributary.epochs.findIndex((epoch) => epoch.test_acc >= e.target);
  const seconds = (epochs: { seconds: number }[]) => epochs.reduce((sum, epoch) => sum + epoch.seconds, 0);
  return {
    referenceRate: mean(e.reference.epochs.map((epoch) => epoch.samples_per_s)),
    tributaryRate: e.tributary.epochs[0]!.samples_per_s,
    referenceTime: seconds(e.reference.epochs),
    tributaryTime: reached < 0 ? null : seconds(e.tributary.epochs.slice(0, reached + 1)),
  };
}

const verdict = (ok: boolean | null) => (ok === null ? 'not measured' : ok ? 'met' : 'MISSED');

/** The issue-11 targets for one model, each with its figure. */
function verdicts(s: Summary): string[] {
  const keras = s.aggregates.keras;
  const target = TARGETS[s.name as keyof typeof TARGETS];
  const chosenName = s.chosen === 'tensorflow' || s.chosen === 'wasm' ? s.chosen : undefined;
  const chosen = chosenName && s.aggregates[chosenName];
  const wasm = s.aggregates.wasm;
  const vs = (a: Aggregate | undefined) => (a && keras ? round(a.samplesPerS / keras.samplesPerS) : null);
  const lines = [
    `chosen backend (${chosenName ?? '-'}) >= ${target.chosen}x Keras: ${vs(chosen)}x, ${verdict(vs(chosen) === null ? null : vs(chosen)! >= target.chosen)}`,
    `wasm >= ${target.wasm}x Keras: ${vs(wasm)}x, ${verdict(vs(wasm) === null ? null : vs(wasm)! >= target.wasm)}`,
  ];
  for (const [name, a] of [[chosenName ?? 'chosen', chosen], ...(chosenName === 'wasm' ? [] : [['wasm', wasm] as const])] as const) {
    if (!a || !keras) continue;
    const loss = Math.abs(a.lossAt / keras.lossAt - 1);
    const points = Math.abs(a.testAcc - keras.testAcc) * 100;
    lines.push(
      `${name}: loss within 3% of Keras's: ${round(loss * 100, 1)}%, ${verdict(loss <= 0.03)}; accuracy within 1 point: ${round(points, 2)} points, ` +
        `${verdict(points <= 1)}; peak RSS <= Keras's: ${Math.round(a.peakRssMb)} vs ${Math.round(keras.peakRssMb)} MB, ` +
        verdict(a.peakRssMb <= keras.peakRssMb),
    );
  }
  return lines;
}

export function modelsMarkdown(summaries: Summary[], plan: Plan): string {
  const parts = [
    `${plan.quick ? 'A --quick run (few steps: the figures check the bench, they are not the record). ' : ''}` +
      `Each framework in its own process, ${plan.repeats} run(s) each, alternating (Keras, tfjs tensorflow, ` +
      'tfjs tensorflow with the eager step forced, PyTorch, tfjs wasm); ' +
      "samples/s is the mean of the runs (each run's in brackets), x Keras against Keras's mean in the same bench run; " +
      'cores = process CPU time / wall over the timed steps; load 1m = the 1-minute load average as each run started.',
  ];
  for (const s of summaries) {
    parts.push('', `**${s.title}**`, '');
    if (s.skip) {
      parts.push(`Not timed: ${s.skip}`);
      continue;
    }
    parts.push(
      `| ${s.headers.join(' | ')} |`,
      `|${s.headers.map(() => '---').join('|')}|`,
      ...s.rows.map((row) => `| ${row.join(' | ')} |`),
      '',
    );
    parts.push(...verdicts(s).map((line) => `- ${line}`));
  }
  return parts.join('\n');
}

export function endToEndMarkdown(e2e: EndToEnd, ratios: Record<string, number | null>): string {
  const head = "**End to end**: Fashion-MNIST's PNG tree (60,000 28x28 files), mnist-cnn, batch 64: ";
  if ('skip' in e2e) return `${head}not measured: ${e2e.skip}`;
  const f = endToEndFigures(e2e);
  const epochs = (list: { seconds: number; samples_per_s: number; test_acc: number }[]) =>
    list
      .map(
        (e, i) => `epoch ${i + 1}: ${round(e.seconds, 1)} s, ${Math.round(e.samples_per_s)} samples/s, test acc ${e.test_acc.toFixed(4)}`,
      )
      .join('; ');
  const samples = ratios.end_to_end_samples_vs_tutorial;
  const time = ratios.end_to_end_time_to_acc_vs_tutorial;
  return [
    `${head}the IBM FL tutorial's DataGenerator as a keras.utils.Sequence feeding model.fit (${e2e.reference.version}; class-sorted, unshuffled batches) ` +
      `against Tributary's ImageFolder handler decoding the PNGs (shuffled) into its training on the backend it chooses (${e2e.tributary.description}).`,
    '',
    `- tutorial generator + fit (load ${e2e.load.reference}): ${epochs(e2e.reference.epochs)}; peak RSS ${Math.round(e2e.reference.peak_rss_mb)} MB`,
    `- Tributary (load ${e2e.load.tributary}), until the tutorial's last-epoch accuracy ${e2e.target}: ${epochs(e2e.tributary.epochs)}; ` +
      `peak RSS ${Math.round(e2e.tributary.peak_rss_mb)} MB`,
    `- samples/s >= 1.0x the tutorial's: ${samples}x (${Math.round(f.tributaryRate)} vs ${Math.round(f.referenceRate)}), ` +
      verdict(samples == null ? null : samples >= 1),
    `- time to the accuracy the tutorial reaches after ${e2e.reference.epochs.length} epoch(s) <= 0.5x its time: ` +
      (f.tributaryTime === null
        ? `not reached in ${e2e.tributary.epochs.length} epoch(s), MISSED`
        : `${time}x (${round(f.tributaryTime, 1)} vs ${round(f.referenceTime, 1)} s), ${verdict(time! <= 0.5)}`),
  ].join('\n');
}
