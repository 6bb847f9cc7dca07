// Runs anywhere: the names Flower 1.29's SecAgg+ uses on the wire (secaggplus_constants.py) and the bounds this party adds.

/** The ConfigRecord that carries every SecAgg+ stage's fields, in and out. */
export const RECORD_KEY_CONFIGS = 'secaggplus_configs';

/** The four stages in the order a round runs them; after unmask only setup may come. */
export const STAGES = ['setup', 'share_keys', 'collect_masked_vectors', 'unmask'] as const;
export type Stage = (typeof STAGES)[number];

export const KEY = {
  stage: 'stage',
  sampleNum: 'sample_num',
  shareNum: 'share_num',
  threshold: 'threshold',
  clippingRange: 'clipping_range',
  targetRange: 'target_range',
  modRange: 'mod_range',
  maxWeight: 'max_weight',
  pk1: 'pk1',
  pk2: 'pk2',
  dsts: 'dsts',
  ctxts: 'ctxts',
  srcs: 'srcs',
  maskedParams: 'masked_params',
  activeNids: 'active_nids',
  deadNids: 'dead_nids',
  nids: 'nids',
  shares: 'shares',
} as const;

/** Parties in one round: bounds the neighbours, shares and ids a party accepts (Flower sets none). */
export const MAX_SAMPLE_NUM = 10_000;
/** A ciphertext of two shares of a ~300-byte PEM key and a 32-byte seed is about 600 bytes. */
export const MAX_CIPHERTEXT_BYTES = 8192;
/** Masks and sums stay exact in float64 up to here (Flower's default is 2^32). */
export const MAX_MOD_RANGE = 2 ** 52;
export const UINT64_MAX = (1n << 64n) - 1n;
