// Runs in Node: reads and checks each SecAgg+ stage's inbound fields, every error naming the stage and the key.
import type { ConfigValue } from '../wire/index.js';
import { fail } from './errors.js';
import { MAX_PEM_BYTES } from './keys.js';
import { KEY, MAX_CIPHERTEXT_BYTES, MAX_MOD_RANGE, MAX_SAMPLE_NUM, STAGES, UINT64_MAX, type Stage } from './protocol.js';

export type Configs = ReadonlyMap<string, ConfigValue>;

export interface SetupParams {
  sampleNum: number;
  shareNum: number;
  threshold: number;
  clippingRange: number;
  targetRange: number;
  modRange: number;
  maxWeight: number;
}

export interface PeerPublicKeys {
  pk1: Uint8Array;
  pk2: Uint8Array;
}

const NODE_ID_TEXT = /^(0|[1-9][0-9]{0,19})$/;

export function readStage(configs: Configs): Stage {
  const stage = configs.get(KEY.stage);
  if (typeof stage !== 'string' || !(STAGES as readonly string[]).includes(stage))
    fail('message', KEY.stage, `must be one of ${STAGES.join(', ')}, got ${describe(stage)}`);
  return stage as Stage;
}

/** setup: the round's parameters, integers where Flower sends ints and a float clipping range, all bounded. */
export function readSetup(configs: Configs): SetupParams {
  const sampleNum = readInt(configs, 'setup', KEY.sampleNum, 2, MAX_SAMPLE_NUM);
  const shareNum = readInt(configs, 'setup', KEY.shareNum, 1, MAX_SAMPLE_NUM);
  const modRange = readInt(configs, 'setup', KEY.modRange, 2, MAX_MOD_RANGE);
  return {
    sampleNum,
    shareNum,
    threshold: readInt(configs, 'setup', KEY.threshold, 1, shareNum),
    clippingRange: readPositive(configs, 'setup', KEY.clippingRange, false),
    targetRange: readInt(configs, 'setup', KEY.targetRange, 1, modRange - 1),
    modRange,
    maxWeight: readPositive(configs, 'setup', KEY.maxWeight, true),
  };
}

/** share_keys: one entry per neighbour (this node included), node id as text -> [pk1, pk2]. */
export function readShareKeys(configs: Configs, params: SetupParams): Map<bigint, PeerPublicKeys> {
  const peers = new Map<bigint, PeerPublicKeys>();
  for (const [key, value] of configs) {
    if (key === KEY.stage) continue;
    if (!NODE_ID_TEXT.test(key) || BigInt(key) > UINT64_MAX)
      fail('share_keys', key, 'is not a node id (decimal text of an unsigned 64-bit integer)');
    const keys = value as unknown[];
    if (!Array.isArray(value) || keys.length !== 2 || !keys.every((pk) => pk instanceof Uint8Array && pk.length <= MAX_PEM_BYTES))
      fail('share_keys', key, `must be a list of two public keys of at most ${MAX_PEM_BYTES} bytes`);
    peers.set(BigInt(key), { pk1: keys[0] as Uint8Array, pk2: keys[1] as Uint8Array });
  }
  const limit = Math.min(params.sampleNum, params.shareNum);
  if (peers.size > limit)
    fail('share_keys', '<node ids>', `lists ${peers.size} neighbours, more than sample_num/share_num allow (${limit})`);
  if (peers.size < params.threshold)
    fail('share_keys', '<node ids>', `lists ${peers.size} neighbours, fewer than the threshold ${params.threshold}`);
  return peers;
}

/** collect_masked_vectors: the ciphertexts addressed to this node and their senders, one each. */
export function readCollect(configs: Configs, maxSources: number): { ctxts: Uint8Array[]; srcs: bigint[] } {
  const stage = 'collect_masked_vectors';
  const ctxts = readList(
    configs,
    stage,
    KEY.ctxts,
    maxSources,
    (item) => item instanceof Uint8Array && item.length <= MAX_CIPHERTEXT_BYTES,
  );
  const srcs = readNodeIds(configs, stage, KEY.srcs, maxSources);
  if (ctxts.length !== srcs.length) fail(stage, KEY.srcs, `has ${srcs.length} senders for ${ctxts.length} ciphertexts`);
  return { ctxts: ctxts as Uint8Array[], srcs };
}

/** unmask: the neighbours still active and those that dropped, no id twice. */
export function readUnmask(configs: Configs, maxNodes: number): { active: bigint[]; dead: bigint[] } {
  const active = readNodeIds(configs, 'unmask', KEY.activeNids, maxNodes);
  const dead = readNodeIds(configs, 'unmask', KEY.deadNids, maxNodes);
  if (new Set([...active, ...dead]).size !== active.length + dead.length)
    fail('unmask', KEY.deadNids, 'repeats a node id or names an active node');
  return { active, dead };
}

/** A list of unsigned 64-bit node ids (Flower sends them as a signed list, or unsigned once one exceeds 2^63 - 1). */
export function readNodeIds(configs: Configs, stage: string, key: string, maxCount: number): bigint[] {
  const ids = readList(configs, stage, key, maxCount, (item) => typeof item === 'bigint' && item >= 0n && item <= UINT64_MAX) as bigint[];
  if (new Set(ids).size !== ids.length) fail(stage, key, 'repeats a node id');
  return ids;
}

function readList(configs: Configs, stage: string, key: string, maxCount: number, isItem: (item: unknown) => boolean): unknown[] {
  const value = configs.get(key);
  if (value === undefined) fail(stage, key, 'is missing');
  if (!Array.isArray(value)) fail(stage, key, `must be a list, got ${describe(value)}`);
  if (value.length > maxCount) fail(stage, key, `has ${value.length} items, more than ${maxCount}`);
  // An empty list arrives typed as whatever Flower sends for one (a bool list); only its items have a type.
  const stray = (value as unknown[]).findIndex((item) => !isItem(item));
  if (stray >= 0) fail(stage, key, `item ${stray} (${describe(value[stray])}) is not what this list holds`);
  return value;
}

function readInt(configs: Configs, stage: string, key: string, min: number, max: number): number {
  const value = configs.get(key);
  if (value === undefined) fail(stage, key, 'is missing');
  if (typeof value !== 'bigint') fail(stage, key, `must be an integer, got ${describe(value)}`);
  if (value < BigInt(min) || value > BigInt(max)) fail(stage, key, `is ${value}, outside ${min}..${max}`);
  return Number(value);
}

/** A positive finite float; `intToo` also takes an integer (max_weight, which Flower never type-checks). */
function readPositive(configs: Configs, stage: string, key: string, intToo: boolean): number {
  const value = configs.get(key);
  if (value === undefined) fail(stage, key, 'is missing');
  const number = typeof value === 'number' ? value : intToo && typeof value === 'bigint' ? Number(value) : undefined;
  if (number === undefined) fail(stage, key, `must be a float, got ${describe(value)}`);
  if (!Number.isFinite(number) || number <= 0) fail(stage, key, `must be positive and finite, got ${number}`);
  return number;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return `${typeof value} ${String(value).slice(0, 40)}`;
}
