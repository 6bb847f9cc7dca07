// Runs in the aggregator (plain Node): reads and checks each SecAgg+ stage's reply; a reply that does not fit says which stage and key.
import { SecAggError, fail } from '../secagg/errors.js';
import { MAX_PEM_BYTES, publicKeyFromPem } from '../secagg/keys.js';
import type { IntVector } from '../secagg/modular.js';
import { KEY, MAX_CIPHERTEXT_BYTES, RECORD_KEY_CONFIGS } from '../secagg/protocol.js';
import { MAX_SECRET_BYTES } from '../secagg/shamir.js';
import { readNodeIds, type Configs } from '../secagg/stage-configs.js';
import { decodeNpy, type ConfigValue } from '../wire/index.js';
import type { Message, MetricValue } from '../wire/records/model.js';
import type { Metrics } from './fedavg.js';

export interface PublicKeys {
  pk1: Uint8Array;
  pk2: Uint8Array;
}

export interface SharedKeys {
  /** Each destination node and the share ciphertext for it, in the order sent. */
  dsts: bigint[];
  ctxts: Uint8Array[];
}

export interface MaskedUpdate {
  /** The weight ratio's [1], then one vector per weight array, every value in [0, mod_range). */
  vectors: IntVector[];
  numExamples: number;
  metrics: Metrics;
}

/** A Shamir share: 4 index bytes, then 16 per chunk of the padded secret (at most a PEM key's). */
const MAX_SHARE_BYTES = 4 + MAX_SECRET_BYTES + 16;

/** The reply's secaggplus_configs, or a SecAggError naming the stage. */
function configsOf(message: Message, stage: string): Configs {
  if (message.error) fail(stage, '<error reply>', `(code ${message.error.code}): ${message.error.reason}`);
  const record = message.content?.get(RECORD_KEY_CONFIGS);
  if (record?.kind !== 'config') fail(stage, RECORD_KEY_CONFIGS, 'is missing from the reply (or not a ConfigRecord)');
  return record.items;
}

/** Runs a reader, turning a SecAggError into the refusal reason (anything else is a bug and throws). */
export function orReason<T>(read: () => T): T | string {
  try {
    return read();
  } catch (error) {
    if (error instanceof SecAggError) return error.message;
    throw error;
  }
}

export function readSetupReply(message: Message): PublicKeys {
  const configs = configsOf(message, 'setup');
  const [pk1, pk2] = [KEY.pk1, KEY.pk2].map((key) => {
    const value = configs.get(key);
    if (!(value instanceof Uint8Array) || value.length > MAX_PEM_BYTES)
      fail('setup', key, `must be a PEM public key of at most ${MAX_PEM_BYTES} bytes`);
    publicKeyFromPem(value, `SecAgg+ setup: "${key}"`);
    return value;
  }) as [Uint8Array, Uint8Array];
  if (Buffer.from(pk1).equals(pk2)) fail('setup', KEY.pk2, 'is the same key as pk1');
  return { pk1, pk2 };
}

/** Every neighbour but the sender must get exactly one share: a node that skipped one would leave a mask in the sum no one removes. */
export function readShareKeysReply(message: Message, expected: ReadonlySet<bigint>): SharedKeys {
  const stage = 'share_keys';
  const configs = configsOf(message, stage);
  const dsts = readNodeIds(configs, stage, KEY.dsts, expected.size);
  const ctxts = readBytesList(configs, stage, KEY.ctxts, dsts.length, MAX_CIPHERTEXT_BYTES);
  if (ctxts.length !== dsts.length) fail(stage, KEY.ctxts, `has ${ctxts.length} ciphertexts for ${dsts.length} destinations`);
  const stray = dsts.find((dst) => !expected.has(dst));
  if (stray !== undefined) fail(stage, KEY.dsts, `names node ${stray}, which is not one of its neighbours`);
  if (dsts.length !== expected.size)
    fail(stage, KEY.dsts, `names ${dsts.length} of its ${expected.size} neighbours; each must get a share`);
  return { dsts, ctxts };
}

/**
 * The masked update: int64 arrays of the weight ratio's shape [1] and then the model's shapes, every value within
 * [0, mod_range); and the fitres fields Flower's mod sends beside them (num_examples, metrics).
 */
export function readCollectReply(message: Message, shapes: readonly (readonly number[])[], modRange: number): MaskedUpdate {
  const stage = 'collect_masked_vectors';
  const configs = configsOf(message, stage);
  const expected = [[1], ...shapes];
  const files = readBytesList(configs, stage, KEY.maskedParams, expected.length, Number.MAX_SAFE_INTEGER);
  if (files.length !== expected.length) fail(stage, KEY.maskedParams, `has ${files.length} arrays, the model needs ${expected.length}`);
  const vectors = files.map((file, i) => maskedVector(file, expected[i]!, modRange, i));
  return { vectors, numExamples: readNumExamples(message), metrics: readFitMetrics(message) };
}

/** The shares this node was asked for: of each active neighbour's seed and each dropped one's key, each node once. */
export function readUnmaskReply(message: Message, asked: ReadonlySet<bigint>): Map<bigint, Uint8Array> {
  const stage = 'unmask';
  const configs = configsOf(message, stage);
  const nids = readNodeIds(configs, stage, KEY.nids, asked.size);
  const shares = readBytesList(configs, stage, KEY.shares, nids.length, MAX_SHARE_BYTES);
  if (shares.length !== nids.length) fail(stage, KEY.shares, `has ${shares.length} shares for ${nids.length} node ids`);
  const stray = nids.find((nid) => !asked.has(nid));
  if (stray !== undefined) fail(stage, KEY.nids, `names node ${stray}, whose share was not asked of this node`);
  return new Map(nids.map((nid, i) => [nid, shares[i]!]));
}

function readBytesList(configs: Configs, stage: string, key: string, maxCount: number, maxBytes: number): Uint8Array[] {
  const value: ConfigValue | undefined = configs.get(key);
  if (value === undefined) fail(stage, key, 'is missing');
  if (!Array.isArray(value)) fail(stage, key, 'must be a list of bytes');
  if (value.length > maxCount) fail(stage, key, `has ${value.length} items, more than ${maxCount}`);
  // An empty list arrives typed as whatever the sender's library picks for one; only items have a type.
  const stray = (value as unknown[]).findIndex((item) => !(item instanceof Uint8Array) || item.length > maxBytes);
  if (stray >= 0) fail(stage, key, `item ${stray} is not bytes of at most ${maxBytes}`);
  return value as Uint8Array[];
}

/** One masked array: int64 of the expected shape, every value in [0, modRange), read word by word (a negative one reads as >= 2^63). */
function maskedVector(file: Uint8Array, shape: readonly number[], modRange: number, index: number): IntVector {
  const stage = 'collect_masked_vectors';
  const where = `item ${index}`;
  let array;
  try {
    array = decodeNpy(file, { maxBytes: 8 * shape.reduce((product, size) => product * size, 1) });
  } catch (error) {
    fail(stage, KEY.maskedParams, `${where} is not a .npy file of its shape: ${(error as Error).message}`);
  }
  if (array.dtype !== 'int64') fail(stage, KEY.maskedParams, `${where} is ${array.dtype}; masked arrays are int64`);
  if (array.shape.length !== shape.length || array.shape.some((size, i) => size !== shape[i]))
    fail(stage, KEY.maskedParams, `${where} has shape [${array.shape.join(', ')}], expected [${shape.join(', ')}]`);
  const words = new Uint32Array(array.data.buffer, array.data.byteOffset, array.data.length * 2);
  const data = new Float64Array(array.data.length);
  for (let i = 0; i < data.length; i++) {
    const value = words[2 * i + 1]! * 2 ** 32 + words[2 * i]!;
    if (value >= modRange) fail(stage, KEY.maskedParams, `${where}, element ${i} is ${array.data[i]}, outside 0..${modRange - 1}`);
    data[i] = value;
  }
  return { shape: [...shape], data };
}

/** fitres.num_examples: Flower's compat layer writes it in a MetricRecord (a ConfigRecord is read too). */
function readNumExamples(message: Message): number {
  const record = message.content?.get('fitres.num_examples');
  const value = record && record.kind !== 'arrays' ? record.items.get('num_examples') : undefined;
  const count = typeof value === 'bigint' ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count <= 0)
    fail('collect_masked_vectors', 'fitres.num_examples', `must hold a positive whole "num_examples", got ${String(value)}`);
  return count;
}

/** fitres.metrics' numbers, for the round's record (they leave the party unmasked, as in Flower). */
function readFitMetrics(message: Message): Metrics {
  const record = message.content?.get('fitres.metrics');
  if (!record || record.kind === 'arrays') return {};
  const metrics: Metrics = {};
  for (const [key, value] of record.items as ReadonlyMap<string, ConfigValue | MetricValue>) {
    const number = typeof value === 'bigint' ? Number(value) : value;
    if (typeof number === 'number' && Number.isFinite(number)) metrics[key] = number;
  }
  return metrics;
}
