// Runs in the aggregator (plain Node): the aggregator's YAML config (and flags over it), validated with every problem named by its key.
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../../config/errors.js';
import { validateSection } from '../../config/party-config.js';
import { readYamlConfig, type ConfigPath, type YamlConfig } from '../../config/yaml-config.js';
import { ARCHITECTURE_KEYS, BUILTIN_MODELS, checkArchitectureKeys } from '../../../common/model-config.js';
import { SecAggSectionSchema } from './secagg-config.js';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/;
// A custom check, so the report shows this hint rather than a generic "expected text".
const hostPort = z.string().refine((text) => HOST_PORT.test(text), {
  message: 'expected host:port, e.g. 127.0.0.1:9092 ([::1]:9092 for IPv6; port 0 picks a free one)',
});

export const AggregatorConfigSchema = z
  .strictObject({
    model: z
      .strictObject({
        builtin: z.enum(BUILTIN_MODELS).optional().describe('an architecture built in code'),
        path: z.string().min(1).optional().describe('a Keras/tfjs Layers model.json, relative to the config file'),
        input_shape: z.array(z.number().int().min(1)).min(1).default([28, 28, 1]).describe('one sample, without the batch dimension'),
        classes: z.number().int().min(2).default(10),
        seed: z.number().int().default(0).describe('seeds the initial weights, so every run starts from the same model'),
        ...ARCHITECTURE_KEYS,
      })
      .refine((model) => (model.builtin === undefined) !== (model.path === undefined), {
        message: `set either \`builtin\` (${BUILTIN_MODELS.join(' or ')}) or \`path\` (a model.json), not both (flag: --model)`,
      })
      .superRefine(checkArchitectureKeys)
      .prefault({}),
    rounds: z.number().int().min(1).default(3),
    min_nodes: z
      .number()
      .int()
      .min(1)
      .default(2)
      .describe('nodes that must be online before a round starts, and must reply for it to count'),
    fraction: z.number().gt(0).max(1).default(1).describe('share of the online nodes asked to train each round'),
    fraction_evaluate: z.number().min(0).max(1).default(1).describe('share asked to evaluate; 0 skips federated evaluation'),
    round_timeout: z.number().positive().default(600).describe('seconds to wait for replies in each phase; later replies are dropped'),
    linger: z
      .number()
      .min(0)
      .max(600)
      .default(10)
      .describe(
        'seconds it keeps answering after the last round, so nodes learn the run finished (GetRun) before it exits; less once every online node has asked',
      ),
    train: z
      .strictObject({
        local_epochs: z.number().int().min(1).default(1),
        lr: z.number().positive().default(0.001),
        batch_size: z.number().int().min(1).default(32),
      })
      .prefault({}),
    listen: z
      .strictObject({
        grpc: hostPort.nullable().default('0.0.0.0:9092').describe("gRPC Fleet API (Flower's grpc-rere); null turns it off"),
        rest: hostPort.nullable().default(null).describe("REST Fleet API (Flower's rest); null turns it off"),
      })
      .refine((listen) => listen.grpc !== null || listen.rest !== null, { message: 'listen on gRPC, REST or both' })
      .prefault({}),
    tls: z
      .strictObject({ cert: z.string().min(1), key: z.string().min(1) })
      .optional()
      .describe('PEM certificate chain and private key, relative to the config file'),
    insecure: z.boolean().default(false).describe('plain text: only for tests and trusted networks'),
    out: z.string().min(1).default('aggregator-out').describe('checkpoints and metrics history, relative to the config file'),
    secagg: SecAggSectionSchema.describe("Flower's SecAgg+ for the train phase (flag: --secagg)"),
  })
  .superRefine((config, context) => {
    if (config.insecure && config.tls)
      context.addIssue({ code: 'custom', path: ['insecure'], message: 'set either `tls` (cert and key) or `insecure: true`, not both' });
    if (!config.insecure && !config.tls) {
      context.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'TLS needs `tls.cert` and `tls.key` (flags --tls-cert, --tls-key); or set `insecure: true` (--insecure) for plain text',
      });
    }
  });

export type AggregatorConfig = z.infer<typeof AggregatorConfigSchema>;

/** A value given on the command line, which wins over the file; errors about it name the flag. */
export interface ConfigOverride {
  key: ConfigPath;
  value: unknown;
  flag: string;
}

export interface LoadedAggregatorConfig {
  config: AggregatorConfig;
  /** Where relative paths in the config resolve: the config file's folder, else the working directory. */
  baseDir: string;
}

/** Paths in the config made absolute against `baseDir` (flags are resolved by the caller against the working directory). */
export async function loadAggregatorConfig(
  file: string | undefined,
  overrides: readonly ConfigOverride[] = [],
): Promise<LoadedAggregatorConfig> {
  const source: YamlConfig = file ? await readYamlConfig(path.resolve(file)) : { value: {}, lineOf: () => undefined };
  const merged = structuredClone(source.value) as Record<string, unknown>;
  for (const { key, value } of overrides) setIn(merged, key, value);
  const where = file ? path.resolve(file) : 'command line';
  try {
    const config = validateSection(AggregatorConfigSchema, merged, { file: where, lineOf: source.lineOf });
    return { config, baseDir: file ? path.dirname(path.resolve(file)) : process.cwd() };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(error.issues.map((issue) => blameFlag(issue, overrides)) as [ConfigIssue, ...ConfigIssue[]]);
  }
}

function setIn(target: Record<string, unknown>, key: ConfigPath, value: unknown): void {
  let node = target;
  for (const segment of key.slice(0, -1)) {
    const next = node[String(segment)];
    node = (node[String(segment)] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {}) as Record<
      string,
      unknown
    >;
  }
  node[String(key.at(-1))] = value;
}

function blameFlag(issue: ConfigIssue, overrides: readonly ConfigOverride[]): ConfigIssue {
  const flag = overrides.find((o) => o.key.join('.') === issue.key)?.flag;
  return flag ? { file: flag, key: issue.key, problem: issue.problem } : issue;
}
