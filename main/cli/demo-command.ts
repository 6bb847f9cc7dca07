// Runs in the CLI process: `tributary demo`: the reference aggregator and N parties on this machine,
// each training on its own share of Fashion-MNIST; the global test accuracy per round.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadFull, loadSample } from '../federation/local/fashion-mnist.js';
import { LocalFederation } from '../federation/local/local-federation.js';
import { writeSites, type ModelChoice } from '../federation/local/sites.js';
import { splitSamples } from '../federation/local/split.js';
import { demoProgress, printMasking, printParties, printResults } from './demo-report.js';
import { interruptible } from './interrupts.js';
import { UsageError } from './usage-error.js';

export const DEMO_USAGE = `  tributary demo [--rounds 5] [--parties 3] [--epochs 1] [--model mnist-cnn|mlp|model.json] [--transport grpc|rest]
      [--non-iid] [--full] [--lr 0.002] [--batch-size 32] [--threads N] [--seed 0] [--secagg] [--out DIR]
      a federation on this machine: the reference aggregator (embedded, loopback, plain text) and N parties, each
      training on its own share of Fashion-MNIST (the sample in assets/; --full: Debian's dataset-fashion-mnist) and
      evaluating on the whole test set; prints the global test accuracy per round. --out keeps the sites' folders and the run;
      --secagg trains under Flower's SecAgg+, so the aggregator sees only each round's sum of the updates`;

export interface DemoOptions {
  rounds: number;
  parties: number;
  epochs: number;
  model: ModelChoice;
  transport: 'grpc' | 'rest';
  nonIid: boolean;
  full: boolean;
  learningRate: number;
  batchSize: number;
  /** wasm threads per party's training thread. */
  threads: number;
  seed: number;
  /** Train under SecAgg+. */
  secagg: boolean;
  out?: string;
}

/** Loopback answers at once: polling often keeps the parties from idling between phases (a real site polls every few seconds). */
const POLL_INTERVAL_S = 0.1;

/** Exit codes: 0 when every round completed, 1 when one did not or the demo failed, 2 for bad flags, 130 on Ctrl-C (143 on SIGTERM). */
export async function demoCommand(args: string[]): Promise<number> {
  const options = parseDemoArgs(args);
  const out = options.out ?? (await mkdtemp(path.join(os.tmpdir(), 'tributary-demo-')));
  let federation: LocalFederation | undefined;
  return interruptible(
    async (signal) => {
      const dataset = options.full ? await loadFull() : await loadSample();
      const split = splitSamples(dataset.train.labels, {
        parties: options.parties,
        nonIid: options.nonIid,
        seed: options.seed,
        classes: 10,
      });
      console.log(
        `data: ${dataset.description}\nsplit: ${split.description}\n` +
          `test: every party evaluates on the whole test set (${dataset.test.labels.length} images), ` +
          'so the federated evaluation is the global test accuracy',
      );
      const sites = await writeSites(dataset, split.parts, out);
      const progress = demoProgress(() => federation?.parties ?? []);
      federation = await LocalFederation.start(
        {
          sites,
          settings: {
            model: options.model,
            learningRate: options.learningRate,
            batchSize: options.batchSize,
            seed: options.seed,
            threads: options.threads,
            pollInterval: POLL_INTERVAL_S,
          },
          transport: options.transport,
          rounds: options.rounds,
          localEpochs: options.epochs,
          out: path.join(out, 'aggregator'),
          // max_weight: every example count, so no site's weights are scaled up (and clipped sooner) before quantisation.
          ...(options.secagg && { secagg: { enabled: true, max_weight: sites.reduce((sum, site) => sum + site.trainSamples, 0) } }),
        },
        (aggregator) => aggregator.events.on(progress),
      );
      printParties(federation, dataset.train.labels, split.parts, options);
      if (options.secagg)
        console.log(
          "secure aggregation: Flower's SecAgg+ (3 shares, threshold 2): each party's update leaves masked, the aggregator unmasks only the sum\n",
        );
      const result = await federation.run(signal);
      printResults(result.records);
      if (options.secagg) await printMasking(federation, result.records);
      return result.records.every((record) => record.status === 'completed') ? 0 : 1;
    },
    {
      interrupted: ({ words, exitCode }) => {
        console.error(`demo: interrupted (${words})`);
        return exitCode;
      },
      cleanup: async (signal) => {
        await federation?.close(!signal.aborted);
        if (options.out)
          console.log(
            `the sites' folders (their data, party.yaml, audit log and epoch log) and the aggregator's run (checkpoints, metrics.jsonl) are in ${out}`,
          );
        else await rm(out, { recursive: true, force: true });
      },
    },
  );
}

export function parseDemoArgs(args: string[]): DemoOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      rounds: { type: 'string', default: '5' },
      parties: { type: 'string', default: '3' },
      epochs: { type: 'string', default: '1' },
      model: { type: 'string', default: 'mnist-cnn' },
      transport: { type: 'string', default: 'grpc' },
      'non-iid': { type: 'boolean', default: false },
      full: { type: 'boolean', default: false },
      lr: { type: 'string', default: '0.002' },
      'batch-size': { type: 'string', default: '32' },
      threads: { type: 'string' },
      seed: { type: 'string', default: '0' },
      secagg: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const parties = whole(values.parties, '--parties', 2, 10);
  const transport = values.transport;
  if (transport !== 'grpc' && transport !== 'rest') throw new UsageError(`--transport ${transport}: use grpc or rest`);
  return {
    rounds: whole(values.rounds, '--rounds', 1, 1000),
    parties,
    epochs: whole(values.epochs, '--epochs', 1, 100),
    model: values.model === 'mnist-cnn' || values.model === 'mlp' ? { builtin: values.model } : { path: path.resolve(values.model) },
    transport,
    nonIid: values['non-iid'],
    full: values.full,
    learningRate: positive(values.lr, '--lr'),
    batchSize: whole(values['batch-size'], '--batch-size', 1, 1024),
    threads: values.threads === undefined ? defaultThreads(parties) : whole(values.threads, '--threads', 1, 64),
    seed: whole(values.seed, '--seed', 0, 2 ** 31 - 1),
    secagg: values.secagg,
    ...(values.out !== undefined && { out: path.resolve(values.out) }),
  };
}

/** The parties train at the same time: one wasm thread each until there are more cores than parties. */
function defaultThreads(parties: number): number {
  return Math.max(1, Math.floor(os.availableParallelism() / parties));
}

function positive(text: string, flag: string): number {
  const value = Number(text);
  if (!(value > 0 && value <= 1)) throw new UsageError(`${flag} takes a number above 0 and at most 1, not ${JSON.stringify(text)}`);
  return value;
}

function whole(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  return value;
}
