// Runs in the CLI process: the `tributary` command: scan and preview a party's dataset, train its model locally, join a federation,
// run the reference aggregator or a local demo federation, serve the browser console.
import { parseArgs } from 'node:util';
import { BACKEND_CHOICES } from '../../common/training-config.js';
import type { BackendChoice } from '../../common/training-config.js';
import { didYouMean } from '../config/errors.js';
import { loadPartyConfig } from '../config/party-config.js';
import { openData } from '../data/handler-loader.js';
import { closeSplits, type DataSplits } from '../data/data-handler.js';
import { writePreview } from './preview-command.js';
import { formatScan, scanAll } from './scan-command.js';
import { partyCommand } from './party-command.js';
import { trainCommand } from './train-command.js';
import { UsageError } from './usage-error.js';
import { AGGREGATOR_USAGE, aggregatorCommand } from './aggregator-command.js';
import { APPROVE_USAGE, approveCommand } from './approve-command.js';
import { CONSOLE_USAGE, consoleCommand } from './console-command.js';
import { DEMO_USAGE, demoCommand } from './demo-command.js';
import { INIT_USAGE, initCommand } from './init-command.js';
import { INVITE_USAGE, inviteCommand, JOIN_USAGE, joinCommand } from './invite-command.js';

/** Each command: how it is called and what it does (its --help), and what runs it. */
const COMMANDS: Record<string, { usage: string; run: (args: string[]) => Promise<number> }> = {
  scan: {
    usage: `  tributary scan --config party.yaml [--json]
      decode every sample once: counts per class, image sizes, channels, unreadable files`,
    run: scan,
  },
  preview: {
    usage: `  tributary preview --config party.yaml --out DIR [-n 32] [--split train|test] [--seed N] [--class NAME ...]
      write sampled images exactly as the model sees them (PNG), with samples.json and index.html`,
    run: preview,
  },
  train: {
    usage: `  tributary train --config party.yaml [--epochs N | --steps N] [--backend auto|tensorflow|wasm|cpu] [--log FILE]
      train the config's model on its train split, then evaluate it on its test split; Ctrl-C stops
      within a batch. --steps trains exactly N batches (the last epoch partial) instead of epochs.
      --log appends the run (backend, epochs, evaluation) to FILE as JSON lines`,
    run: train,
  },
  party: {
    usage: `  tributary party --config party.yaml [--backend auto|tensorflow|wasm|cpu]
      join the federation in the config's federation: section and serve its rounds until Ctrl-C,
      which leaves after the task in hand (a second Ctrl-C aborts it). With \`review: {mode: ask}\` a run's
      first task waits for approval: it is printed with the \`tributary approve\` command that approves it`,
    run: party,
  },
  approve: { usage: APPROVE_USAGE, run: approveCommand },
  join: { usage: JOIN_USAGE, run: joinCommand },
  aggregator: { usage: AGGREGATOR_USAGE, run: aggregatorCommand },
  invite: { usage: INVITE_USAGE, run: inviteCommand },
  demo: { usage: DEMO_USAGE, run: demoCommand },
  console: { usage: CONSOLE_USAGE, run: consoleCommand },
  init: { usage: INIT_USAGE, run: initCommand },
};

const USAGE = `usage:\n${Object.values(COMMANDS)
  .map((command) => command.usage)
  .join('\n')}\n  tributary <command> --help\n      that command's usage`;
const HELP_FLAGS = ['--help', '-h'];

/** Exit codes: 0 done, 1 failed while working, 2 bad usage or config. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || HELP_FLAGS.includes(command)) return help(rest[0]);
  if (!Object.hasOwn(COMMANDS, command)) return unknown(command);
  if (rest.some((arg) => HELP_FLAGS.includes(arg))) return help(command);
  try {
    return await COMMANDS[command]!.run(rest);
  } catch (error) {
    console.error(`tributary ${command}: ${(error as Error).message}`);
    const usage =
      ['ConfigError', 'UsageError'].includes((error as Error).name) || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    return usage ? 2 : 1;
  }
}

/** `tributary --help`, `tributary help [command]`, `tributary <command> --help`: to stdout, exit 0; an unknown command's help is bad usage. */
function help(command: string | undefined): number {
  if (command === undefined) {
    console.log(USAGE);
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, command)) return unknown(command);
  console.log(`usage:\n${COMMANDS[command]!.usage}`);
  return 0;
}

function unknown(command: string): number {
  console.error(`tributary: unknown command ${JSON.stringify(command)}${didYouMean(command, Object.keys(COMMANDS))}\n${USAGE}`);
  return 2;
}

async function withData<T>(configFile: string | undefined, use: (splits: DataSplits) => Promise<T>): Promise<T> {
  if (!configFile) throw new UsageError('--config is required');
  const { splits } = await openData(await loadPartyConfig(configFile));
  try {
    return await use(splits);
  } finally {
    await closeSplits(splits);
  }
}

async function scan(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, json: { type: 'boolean', default: false } } });
  return withData(values.config, async (splits) => {
    const scans = await scanAll(splits, !values.json);
    console.log(values.json ? JSON.stringify(scans, null, 2) : scans.map(formatScan).join('\n\n'));
    return 0;
  });
}

async function preview(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      out: { type: 'string' },
      n: { type: 'string', short: 'n', default: '32' },
      split: { type: 'string', default: 'train' },
      seed: { type: 'string', default: '0' },
      class: { type: 'string', multiple: true },
    },
  });
  const n = Number(values.n),
    seed = Number(values.seed);
  if (!values.out) throw new UsageError('--out is required');
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(seed)) throw new UsageError('-n and --seed take whole numbers (n >= 1)');
  const split = values.split;
  if (split !== 'train' && split !== 'test') throw new UsageError('--split is train or test');
  return withData(values.config, async (splits) => {
    const generator = splits[split];
    if (!generator) throw new UsageError(`the config has no ${split} split`);
    const unknown = values.class?.find((name) => !generator.classNames.includes(name));
    if (unknown !== undefined) throw new UsageError(`--class ${unknown}: no such class (classes are: ${generator.classNames.join(', ')})`);
    const written = await writePreview(generator, { out: values.out!, n, seed, classes: values.class });
    console.log(
      `wrote ${written.samples.length} samples to ${values.out} (index.html, samples.json)` +
        `${written.skipped ? `; ${written.skipped} samples skipped (unreadable, or non-finite values)` : ''}`,
    );
    return 0;
  });
}

async function train(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      epochs: { type: 'string' },
      steps: { type: 'string' },
      backend: { type: 'string' },
      log: { type: 'string' },
    },
  });
  if (!values.config) throw new UsageError('--config is required');
  if (values.epochs !== undefined && values.steps !== undefined) throw new UsageError('--epochs and --steps: give one or the other');
  const epochs = wholeFlag('--epochs', values.epochs);
  const steps = wholeFlag('--steps', values.steps);
  const loaded = await loadPartyConfig(values.config);
  return trainCommand({ loaded, epochs, steps, backend: backendFlag(values.backend), log: values.log });
}

function wholeFlag(flag: string, value: string | undefined): number | undefined {
  const number = value === undefined ? undefined : Number(value);
  if (number !== undefined && !(Number.isInteger(number) && number >= 1))
    throw new UsageError(`${flag} takes a whole number >= 1, not ${value}`);
  return number;
}

async function party(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, backend: { type: 'string' } } });
  if (!values.config) throw new UsageError('--config is required');
  return partyCommand({ loaded: await loadPartyConfig(values.config), backend: backendFlag(values.backend) });
}

function backendFlag(backend: string | undefined): BackendChoice | undefined {
  if (backend !== undefined && !(BACKEND_CHOICES as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend ${backend}: use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  return backend as BackendChoice | undefined;
}
