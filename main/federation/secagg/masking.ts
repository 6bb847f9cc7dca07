// Runs in Node: what the collect_masked_vectors stage computes: the weighted, quantised update and its masks.
import type { KeyObject } from 'node:crypto';

import { sharedFernetKey } from './keys.js';
import { applyPseudoRandMasks } from './masks.js';
import { reduceMod, type IntVector } from './modular.js';
import { quantize, type FloatVector, type Uniform } from './quantization.js';
import type { SetupParams } from './stage-configs.js';

/** The party's trained weights and how many examples they came from (fitres.parameters, fitres.num_examples). */
export interface FitOutcome {
  arrays: FloatVector[];
  numExamples: number;
}

export interface Peer {
  nid: bigint;
  pk1: KeyObject;
}

/**
 * Flower's weighting and quantisation: q_ratio = round(num_examples / max_weight * target_range) travels as its own
 * first array, and every weight is scaled by q_ratio / target_range before it is quantised, so the server can divide
 * the masked sum of weighted weights by the sum of the ratios.
 */
export function quantizeUpdate(fit: FitOutcome, params: SetupParams, uniform: Uniform): IntVector[] {
  const qRatio = roundHalfEven((fit.numExamples / params.maxWeight) * params.targetRange);
  const factor = qRatio / params.targetRange;
  const arrays = fit.arrays.map((array) => quantize(array, factor, params.clippingRange, params.targetRange, uniform));
  return [{ shape: [1], data: Float64Array.of(qRatio) }, ...arrays];
}

/** A mask to apply: the seed it is drawn from, and whether it is added (1) or subtracted (-1). */
export interface MaskSeed {
  seed: Uint8Array;
  sign: 1 | -1;
}

/**
 * This node's masks: its private one (from its own seed, added) and one pairwise mask per peer whose shares it
 * received (seeded by the ECDH key of sk1 and the peer's pk1): added when this node's id is the larger, subtracted
 * otherwise, so each pair cancels in the server's sum.
 */
export function maskSeeds(nid: bigint, rdSeed: Uint8Array, sk1: KeyObject, peers: readonly Peer[]): MaskSeed[] {
  return [
    { seed: rdSeed, sign: 1 },
    ...peers.map((peer): MaskSeed => ({ seed: sharedFernetKey(sk1, peer.pk1), sign: nid > peer.nid ? 1 : -1 })),
  ];
}

/** The quantised vectors reduced mod mod_range with every mask applied. */
export function maskUpdate(vectors: IntVector[], masks: readonly MaskSeed[], modRange: number): IntVector[] {
  const masked = vectors.map((vector) => reduceMod(vector, modRange));
  for (const { seed, sign } of masks) applyPseudoRandMasks(masked, seed, modRange, sign);
  return masked;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}
