// Runs as `npm run bench:train`: Tributary's training on each tfjs backend against Keras 3 and PyTorch in the same run, plus the end-to-end PNG row.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { table } from '../main/cli/table.js';
import { machine, recordInDocs, round, type BenchResult } from './lib/report.js';
import {
  endToEndMarkdown,
  modelsMarkdown,
  ratiosOf,
  summarise,
  type EndToEnd,
  type ModelReport,
  type Outcome,
  type RunnerName,
} from './lib/train-report.js';
import { makePlan, type ModelName, type ModelPlan } from './lib/train-plan.js';
import { referenceParams, referenceSteps, tributaryEpochs, tributaryParams, tributarySteps, tutorialFit } from './lib/train-runs.js';
import { ensureVenv, type VenvResult } from './lib/venv.js';

const USAGE = `npm run bench:train -- [--quick] [--models mnist-cnn,resnet,mobilenetv2] [--runners keras,tensorflow,...] [--repeats N] [--record]
  --quick     a few steps per model, one repeat, one end-to-end epoch: checks the bench works in minutes (not recorded unless --record)
  --models    which models to measure (default: all three)
  --runners   which runs to time (default: keras, tensorflow, tensorflow-eager, torch, wasm)
  --repeats   runs of each framework, alternating (default 2; 1 with --quick)
  --record    write the result into docs/benchmarks.md (a full run always does)
  --help      print this and stop`;

const MODEL_NAMES: ModelName[] = ['mnist-cnn', 'resnet', 'mobilenetv2'];
/** A repeat's order: each framework in its own process, references and tfjs alternating. */
const ORDER: RunnerName[] = ['keras', 'tensorflow', 'tensorflow-eager', 'torch', 'wasm'];
const log = (line: string) => console.error(line);
const loadAverage = () => round(os.loadavg()[0]!, 2);

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      models: { type: 'string' },
      runners: { type: 'string' },
      repeats: { type: 'string' },
      record: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const models = (values.models?.split(',') ?? MODEL_NAMES).map((name) => name.trim());
  const unknown = models.filter((name) => !MODEL_NAMES.includes(name as ModelName));
  if (unknown.length > 0) throw new Error(`--models: unknown ${unknown.join(', ')} (choose from ${MODEL_NAMES.join(', ')})\n${USAGE}`);
  const runners = values.runners?.split(',').map((name) => name.trim()) ?? ORDER;
  const strangers = runners.filter((name) => !ORDER.includes(name as RunnerName));
  if (strangers.length > 0) throw new Error(`--runners: unknown ${strangers.join(', ')} (choose from ${ORDER.join(', ')})\n${USAGE}`);
  const repeats = values.repeats === undefined ? (values.quick ? 1 : 2) : Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new Error(`--repeats: expected a whole number of at least 1, got ${values.repeats}\n${USAGE}`);
  const order = ORDER.filter((name) => runners.includes(name));
  return { quick: values.quick, models: models as ModelName[], order, repeats, record: values.record || !values.quick };
}

/** Parameter counts of tfjs and the references must agree before anything is timed: otherwise the models differ. */
async function checkParameters(m: ModelPlan, venv: VenvResult): Promise<Pick<ModelReport, 'parameters' | 'chosen' | 'skip'>> {
  const tfjs = await tributaryParams(m);
  if (!tfjs.ok) return { parameters: {}, skip: `Tributary cannot build ${m.name}: ${tfjs.note}` };
  const parameters: ModelReport['parameters'] = { tfjs: tfjs.value.parameters };
  const chosen = { backend: tfjs.value.backend, description: tfjs.value.description };
  if (!venv.ok) return { parameters, chosen };
  for (const framework of ['keras', 'torch'] as const) {
    const counted = await referenceParams(venv.python, framework, m);
    if (!counted.ok) return { parameters, chosen, skip: `${framework} cannot build ${m.name}: ${counted.note}` };
    parameters[framework] = counted.value.parameters;
  }
  const differ = parameters.keras !== parameters.tfjs || parameters.torch !== parameters.tfjs;
  return {
    parameters,
    chosen,
    ...(differ && {
      skip: `parameter counts differ (tfjs ${parameters.tfjs}, keras ${parameters.keras}, torch ${parameters.torch}): not timed`,
    }),
  };
}

async function measure(runner: RunnerName, m: ModelPlan, venv: VenvResult): Promise<Outcome> {
  const load = loadAverage();
  if (runner === 'keras' || runner === 'torch') {
    if (!venv.ok) return { ok: false, load, note: venv.note };
    const run = await referenceSteps(venv.python, runner, m);
    return run.ok ? { ok: true, load, ...run.value } : { ok: false, load, note: run.note };
  }
  const run = await (runner === 'tensorflow-eager' ? tributarySteps(m, 'tensorflow', 'eager') : tributarySteps(m, runner));
  return run.ok ? { ok: true, load, ...run.value } : { ok: false, load, note: run.note };
}

function describe(outcome: Outcome): string {
  if (!outcome.ok) return outcome.note;
  return `${Math.round(outcome.samples_per_s)} samples/s, loss ${round(outcome.loss_at, 4)}, test acc ${round(outcome.test_acc, 4)}`;
}

async function measureModel(m: ModelPlan, repeats: number, order: readonly RunnerName[], venv: VenvResult): Promise<ModelReport> {
  log(`${m.name} at ${m.side}x${m.side}, batch ${m.batch}: checking parameter counts...`);
  const report: ModelReport = { plan: m, runs: {}, ...(await checkParameters(m, venv)) };
  if (report.skip) {
    log(`  ${report.skip}`);
    return report;
  }
  for (let repeat = 1; repeat <= repeats; repeat++) {
    for (const runner of order) {
      log(`  ${runner} (${repeat}/${repeats}): ${m.steps} steps...`);
      const outcome = await measure(runner, m, venv);
      log(`    ${describe(outcome)}`);
      (report.runs[runner] ??= []).push(outcome);
    }
  }
  return report;
}

async function endToEnd(trainDir: string, configFile: string, epochs: number, venv: VenvResult): Promise<EndToEnd> {
  if (!venv.ok) return { skip: venv.note };
  log(`end to end: the tutorial's Sequence + model.fit, ${epochs} epoch(s) over the PNG tree...`);
  const referenceLoad = loadAverage();
  const reference = await tutorialFit(venv.python, trainDir, epochs);
  if (!reference.ok) return { skip: `the tutorial's generator + fit failed: ${reference.note}` };
  const target = reference.value.epochs.at(-1)!.test_acc;
  log(`end to end: Tributary (ImageFolder, chosen backend) until test accuracy ${target}, at most ${epochs} epoch(s)...`);
  const tributaryLoad = loadAverage();
  const tributary = await tributaryEpochs(configFile, epochs, target);
  if (!tributary.ok) return { skip: `Tributary's run failed: ${tributary.note}` };
  return { reference: reference.value, tributary: tributary.value, target, load: { reference: referenceLoad, tributary: tributaryLoad } };
}

async function main(): Promise<void> {
  const opts = options();
  const venv = await ensureVenv(log);
  log(venv.ok ? `references: ${venv.versions} (${venv.python})` : `references not measured: ${venv.note}`);
  log('preparing Fashion-MNIST as a PNG tree (cached after the first run)...');
  const plan = await makePlan(opts);
  const reports: ModelReport[] = [];
  for (const m of plan.models) reports.push(await measureModel(m, plan.repeats, opts.order, venv));
  const e2e = await endToEnd(plan.pngTree.train, plan.endToEndConfig, plan.endToEndEpochs, venv);

  const summaries = reports.map(summarise);
  const ratios = ratiosOf(summaries, e2e);
  const metrics = {
    quick: plan.quick,
    repeats: plan.repeats,
    references: venv.ok ? venv.versions : null,
    models: Object.fromEntries(summaries.map((s) => [s.name, s.metrics])),
    end_to_end:
      'skip' in e2e
        ? { skip: e2e.skip }
        : { reference: e2e.reference, tributary: e2e.tributary, target_acc: e2e.target, load_avg_1min: e2e.load },
    load_avg_1min_at_end: loadAverage(),
  };
  const result: BenchResult = { bench: 'train', metrics, ratios, machine: machine() };
  for (const s of summaries) console.log(`\n${s.title}\n${s.skip ?? table(s.headers, s.rows)}`);
  const e2eText = endToEndMarkdown(e2e, ratios);
  console.log(`\n${e2eText}`);
  if (opts.record) console.log(`\nrecorded in ${await recordInDocs(result, [modelsMarkdown(summaries, plan), '', e2eText].join('\n'))}`);
  console.log(JSON.stringify(result));
}

await main();
