// Runs in the party (plain Node): what a round's config asks for (round, local epochs, learning rate, batch size), held to the operator's bounds.
import type { RoundBounds } from '../../../common/federation-config.js';

/** The spellings servers use for each setting: Flower's examples use kebab case, older strategies snake case. */
const KEYS = {
  serverRound: ['server-round', 'server_round', 'round'],
  epochs: ['local-epochs', 'local_epochs', 'epochs'],
  learningRate: ['lr', 'learning-rate', 'learning_rate'],
  batchSize: ['batch-size', 'batch_size'],
} as const;

export interface RoundSettings {
  serverRound: number | null;
  epochs: number;
  /** Absent: the model's own learning rate stays. */
  learningRate?: number;
  /** Absent: the data handler's batch size stays. */
  batchSize?: number;
  /** One line per value that was clamped, for the log and the audit. */
  adjustments: string[];
}

/** The round asked for something outside the operator's bounds, and the bounds say refuse. */
export class RoundConfigRefused extends Error {
  override readonly name = 'RoundConfigRefused';
}

export type ConfigValues = ReadonlyMap<string, unknown> | Readonly<Record<string, unknown>>;

export function roundSettings(config: ConfigValues, bounds: RoundBounds, defaultEpochs: number): RoundSettings {
  const adjustments: string[] = [];
  const held = (setting: Setting, min: number, max: number) => hold(setting, min, max, bounds.out_of_bounds, adjustments);
  const epochs = find(config, 'epochs', { whole: true });
  const learningRate = find(config, 'learningRate', { whole: false });
  const batchSize = find(config, 'batchSize', { whole: true });
  const serverRound = find(config, 'serverRound', { whole: true });
  return {
    serverRound: serverRound?.value ?? null,
    epochs: epochs ? held(epochs, 1, bounds.epochs.max) : Math.min(defaultEpochs, bounds.epochs.max),
    ...(learningRate && { learningRate: held(learningRate, bounds.learning_rate.min, bounds.learning_rate.max) }),
    ...(batchSize && { batchSize: held(batchSize, bounds.batch_size.min, bounds.batch_size.max) }),
    adjustments,
  };
}

export interface Setting {
  key: string;
  value: number;
}

/** What a round's config asks for, as sent, before any bound: the site's privacy policy judges the asking itself. */
export function requestedSettings(config: ConfigValues): { epochs?: Setting; learningRate?: Setting; batchSize?: Setting } {
  const epochs = find(config, 'epochs', { whole: true });
  const learningRate = find(config, 'learningRate', { whole: false });
  const batchSize = find(config, 'batchSize', { whole: true });
  return { ...(epochs && { epochs }), ...(learningRate && { learningRate }), ...(batchSize && { batchSize }) };
}

function find(config: ConfigValues, setting: keyof typeof KEYS, { whole }: { whole: boolean }): Setting | undefined {
  const lookup = (key: string) => (config instanceof Map ? config.get(key) : (config as Record<string, unknown>)[key]);
  const key = KEYS[setting].find((candidate) => lookup(candidate) !== undefined);
  if (key === undefined) return undefined;
  const raw = lookup(key);
  const value = typeof raw === 'bigint' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value) || (whole && !Number.isInteger(value))) {
    throw new RoundConfigRefused(`config "${key}": expected ${whole ? 'a whole number' : 'a number'}, got ${describe(raw)}`);
  }
  return { key, value };
}

function hold({ key, value }: Setting, min: number, max: number, policy: RoundBounds['out_of_bounds'], adjustments: string[]): number {
  if (value >= min && value <= max) return value;
  const allowed = `the site allows ${min} to ${max}`;
  if (policy === 'refuse') throw new RoundConfigRefused(`config "${key}" = ${value} is out of bounds: ${allowed}`);
  const clamped = Math.min(max, Math.max(min, value));
  adjustments.push(`config "${key}" = ${value} clamped to ${clamped} (${allowed})`);
  return clamped;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return Array.isArray(value) ? `a list of ${value.length} values` : String(value);
}
