// Runs in the CLI process: `tributary aggregator`: the reference Fleet API server and FedAvg rounds, with a progress table.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BUILTIN_MODELS } from '../../common/model-config.js';
import { Aggregator } from '../federation/server/aggregator.js';
import { loadAggregatorConfig, type ConfigOverride } from '../federation/server/config.js';
import { eventLine, fixedWidthLine, ROUND_COLUMNS, roundRow } from '../federation/server/round-table.js';
import {
  AGGREGATOR_INVITE_OPTIONS,
  AGGREGATOR_INVITE_USAGE,
  checkInviteFlags,
  invitationModelOf,
  writeAggregatorInvitation,
} from './aggregator-invite.js';
import { interruptible } from './interrupts.js';
import { table } from './table.js';
import { UsageError } from './usage-error.js';

export const AGGREGATOR_USAGE = `  tributary aggregator --model mnist-cnn|mlp|model.json [--input-shape 28,28,1] [--classes 10] [--seed 0]
      [--rounds 3] [--min-nodes 2] [--fraction 1] [--fraction-evaluate 1] [--round-timeout 600]
      [--local-epochs 1] [--lr 0.001] [--batch-size 32] [--grpc 0.0.0.0:9092|off] [--rest HOST:PORT|off]
      [--tls-cert cert.pem --tls-key key.pem | --insecure] [--out DIR] [--config aggregator.yaml]
      [--secagg [--secagg-shares 3] [--secagg-threshold 2] [--secagg-max-weight 1000]]
${AGGREGATOR_INVITE_USAGE}
      serve Flower's Fleet API (gRPC and/or REST) and run FedAvg rounds; flags win over the config file;
      --secagg trains under Flower's SecAgg+ (the aggregator sees only each round's sum of the updates);
      --invite writes a signed invitation to this aggregator once it listens (see tributary invite)`;

type Parse = (text: string, flag: string) => unknown;
const number: Parse = (text, flag) => {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag}: expected a number, got ${JSON.stringify(text)}`);
  return value;
};
const numbers: Parse = (text, flag) => text.split(/[,x]/).map((part) => number(part, flag));
const address: Parse = (text) => (text === 'off' ? null : text);
const absolute: Parse = (text) => path.resolve(text);

/** Flags that set one config key each (the rest, --model, --tls-*, --insecure, set several). */
const KEYED_FLAGS: Record<string, { key: string[]; parse: Parse }> = {
  'input-shape': { key: ['model', 'input_shape'], parse: numbers },
  classes: { key: ['model', 'classes'], parse: number },
  seed: { key: ['model', 'seed'], parse: number },
  rounds: { key: ['rounds'], parse: number },
  'min-nodes': { key: ['min_nodes'], parse: number },
  fraction: { key: ['fraction'], parse: number },
  'fraction-evaluate': { key: ['fraction_evaluate'], parse: number },
  'round-timeout': { key: ['round_timeout'], parse: number },
  'local-epochs': { key: ['train', 'local_epochs'], parse: number },
  lr: { key: ['train', 'lr'], parse: number },
  'batch-size': { key: ['train', 'batch_size'], parse: number },
  grpc: { key: ['listen', 'grpc'], parse: address },
  rest: { key: ['listen', 'rest'], parse: address },
  out: { key: ['out'], parse: absolute },
  'secagg-shares': { key: ['secagg', 'num_shares'], parse: number },
  'secagg-threshold': { key: ['secagg', 'reconstruction_threshold'], parse: number },
  'secagg-max-weight': { key: ['secagg', 'max_weight'], parse: number },
};

const OPTIONS = {
  ...Object.fromEntries(Object.keys(KEYED_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
  model: { type: 'string' as const },
  'tls-cert': { type: 'string' as const },
  'tls-key': { type: 'string' as const },
  insecure: { type: 'boolean' as const },
  secagg: { type: 'boolean' as const },
  config: { type: 'string' as const },
  ...AGGREGATOR_INVITE_OPTIONS,
};

/**
 * Exit codes: 0 when the rounds ran (and at least one completed), 1 when none completed or it failed, 2 for bad flags or config,
 * 130 on Ctrl-C (143 on SIGTERM).
 */
export async function aggregatorCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  const { config, baseDir } = await loadAggregatorConfig(values.config as string | undefined, overridesFrom(values));
  checkInviteFlags(values, config);
  const aggregator = new Aggregator(config, baseDir);
  aggregator.events.on((event) => {
    const line = eventLine(event);
    if (line !== undefined) console.error(line);
    if (event.type === 'round-done') console.log(fixedWidthLine(roundRow(event.record)));
  });
  return interruptible(
    async (signal) => {
      const invited = await writeAggregatorInvitation(values, await aggregator.start(), invitationModelOf(config.model));
      if (invited) console.error(invited);
      console.log(fixedWidthLine(ROUND_COLUMNS));
      const { records, runDir, finalModel } = await aggregator.run(signal);
      console.log(
        `\n${table(ROUND_COLUMNS, records.map(roundRow))}\n\ncheckpoints and metrics.jsonl in ${runDir}; final model ${finalModel}`,
      );
      return records.some((record) => record.status === 'completed') ? 0 : 1;
    },
    {
      interrupted: ({ words, exitCode }) => {
        console.error(`aggregator: interrupted (${words}); the rounds finished so far are in the run folder`);
        return exitCode;
      },
      cleanup: () => aggregator.close(),
    },
  );
}

function overridesFrom(values: Record<string, string | boolean | undefined>): ConfigOverride[] {
  const overrides: ConfigOverride[] = [];
  const set = (key: string[], value: unknown, flag: string) => overrides.push({ key, value, flag });
  for (const [flag, { key, parse }] of Object.entries(KEYED_FLAGS)) {
    const text = values[flag];
    if (typeof text === 'string') set(key, parse(text, `--${flag}`), `--${flag}`);
  }
  const model = values.model;
  if (typeof model === 'string') {
    // A built-in by name, else a model.json: setting one clears the other, so the flag wins over the file either way.
    const builtin = (BUILTIN_MODELS as readonly string[]).includes(model);
    set(['model', 'builtin'], builtin ? model : undefined, '--model');
    set(['model', 'path'], builtin ? undefined : path.resolve(model), '--model');
  }
  for (const part of ['cert', 'key'] as const) {
    const file = values[`tls-${part}`];
    if (typeof file === 'string') set(['tls', part], path.resolve(file), `--tls-${part}`);
  }
  if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined) set(['insecure'], false, '--tls-cert');
  if (values.secagg) set(['secagg', 'enabled'], true, '--secagg');
  if (values.insecure) {
    if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined)
      throw new UsageError('give --tls-cert and --tls-key, or --insecure, not both');
    set(['insecure'], true, '--insecure');
    set(['tls'], undefined, '--insecure');
  }
  return overrides;
}
