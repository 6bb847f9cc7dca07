// Runs in Node: what the collect_masked_vectors stage computes: the weighted, quantised update and its masks.
import type { KeyObject } from 'node:crypto';

import { sharedFernetKey } from './keys.js';
import { pseudoRandGen } from './masks.js';
import { addInPlace, reduceMod, subtractInPlace, type IntVector } from './modular.js';
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

/**
 * Adds this node's private mask (from its own seed) and one pairwise mask per peer whose shares it received (from
 * the ECDH key of sk1 and the peer's pk1): added when this node's id is the larger, subtracted otherwise, so each
 * pair cancels in the server's sum. Everything mod mod_range.
 */
export function maskUpdate(
  vectors: IntVector[],
  nid: bigint,
  rdSeed: Uint8Array,
  sk1: KeyObject,
  peers: readonly Peer[],
  modRange: number,
): IntVector[] {
  const shapes = vectors.map((vector) => vector.shape);
  const masked = vectors.map((vector) => reduceMod(vector, modRange));
  const apply = (masks: IntVector[], add: boolean) =>
    masks.forEach((mask, i) => (add ? addInPlace(masked[i]!, mask, modRange) : subtractInPlace(masked[i]!, mask, modRange)));
  apply(pseudoRandGen(rdSeed, modRange, shapes), true);
  for (const peer of peers) apply(pseudoRandGen(sharedFernetKey(sk1, peer.pk1), modRange, shapes), nid > peer.nid);
  return masked;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}
