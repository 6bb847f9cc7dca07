// Runs in the aggregator (plain Node): SecAgg+'s last step on the server: rebuild secrets from shares, remove the masks, dequantise.
import { createPublicKey } from 'node:crypto';

import { fail } from '../secagg/errors.js';
import { privateKeyFromPem, publicKeyFromPem, sharedFernetKey } from '../secagg/keys.js';
import { roundHalfEven } from '../secagg/masking.js';
import { applyPseudoRandMasks } from '../secagg/masks.js';
import type { IntVector } from '../secagg/modular.js';
import { dequantize } from '../secagg/quantization.js';
import { combineShares } from '../secagg/shamir.js';
import type { SecAggRoundParams } from './secagg-config.js';

export interface UnmaskInput {
  /** The masked vectors of `active` added up mod mod_range; unmasked in place. */
  sum: IntVector[];
  /** Nodes whose masked vectors are in the sum, with the examples each reported. */
  active: ReadonlyMap<bigint, number>;
  /** Nodes that shared their keys but whose vectors are not in the sum: their pairwise masks are. */
  dead: ReadonlySet<bigint>;
  neighbours: ReadonlyMap<bigint, ReadonlySet<bigint>>;
  pk1: ReadonlyMap<bigint, Uint8Array>;
  /** Shares handed over in the unmask stage, by the node whose secret they are. */
  shares: ReadonlyMap<bigint, readonly Uint8Array[]>;
  params: SecAggRoundParams;
}

/**
 * Flower's unmask_stage after the shares are in: each active node's own mask (from its seed) is subtracted, each
 * dropped node's pairwise masks rebuilt from its first private key; then the weighted sum is dequantised and divided
 * by the sum of the weight ratios. Unlike Flower, a dropped node's masks are rebuilt only with the neighbours whose
 * vectors are in the sum (two dropped neighbours applied none to each other). A secret with fewer shares than the
 * threshold, one that does not rebuild, or a ratio sum that differs from the reported examples fails with a SecAggError.
 */
export function unmaskAggregate(input: UnmaskInput): Float64Array[] {
  const { sum, params } = input;
  for (const nid of input.active.keys()) applyPseudoRandMasks(sum, secretOf(input, nid, 'mask seed'), params.modRange, -1);
  for (const nid of input.dead) {
    const sk1 = privateKeyFromPem(secretOf(input, nid, 'private key'), `SecAgg+ unmask: the rebuilt key of node ${nid}`);
    const pk1 = input.pk1.get(nid)!;
    if (createPublicKey(sk1).export({ type: 'spki', format: 'pem' }) !== Buffer.from(pk1).toString('ascii'))
      fail('unmask', KEY_SHARES, `of node ${nid} rebuild a private key that is not the one its pk1 was made from`);
    for (const peer of input.neighbours.get(nid)!) {
      if (!input.active.has(peer)) continue;
      const key = sharedFernetKey(sk1, publicKeyFromPem(input.pk1.get(peer)!, `pk1 of node ${peer}`));
      // The peer added this mask when its id was the larger: take it out the other way.
      applyPseudoRandMasks(sum, key, params.modRange, nid > peer ? 1 : -1);
    }
  }
  return dequantizeSum(sum, input);
}

const KEY_SHARES = 'shares';

/** The secret rebuilt from every share handed over for it (Flower's combine_shares), once there are at least threshold. */
function secretOf(input: UnmaskInput, nid: bigint, what: string): Uint8Array {
  const shares = input.shares.get(nid) ?? [];
  if (shares.length < input.params.threshold)
    fail('unmask', KEY_SHARES, `hold ${shares.length} shares of node ${nid}'s ${what}, fewer than the threshold ${input.params.threshold}`);
  try {
    return combineShares(shares);
  } catch (error) {
    fail('unmask', KEY_SHARES, `of node ${nid}'s ${what} do not rebuild it: ${(error as Error).message}`);
  }
}

/**
 * The first vector is the sum of the weight ratios (round(num_examples / max_weight x target_range) each); the rest
 * are the quantised weighted weights, each site's shifted by clipping_range: Flower's offset and division undo both.
 */
function dequantizeSum(sum: IntVector[], input: UnmaskInput): Float64Array[] {
  const { params } = input;
  const [ratios, ...weights] = sum;
  const ratioSum = ratios!.data[0]!;
  let expected = 0;
  for (const numExamples of input.active.values()) expected += roundHalfEven((numExamples / params.maxWeight) * params.targetRange);
  if (ratioSum !== expected % params.modRange)
    fail(
      'unmask',
      'masked_params',
      `unmask to a weight sum of ${ratioSum}, but the reported num_examples give ${expected}: ` +
        'a node masked another weight than it reported, or the sum passed modulus_range',
    );
  if (ratioSum === 0) fail('unmask', 'masked_params', 'unmask to a weight sum of 0: max_weight is too large for these example counts');
  const inverse = params.targetRange / ratioSum;
  const offset = -(input.active.size - 1) * params.clippingRange;
  return weights.map((vector) => {
    const values = dequantize(vector, params.clippingRange, params.targetRange);
    for (let i = 0; i < values.length; i++) values[i] = (values[i]! + offset) * inverse;
    return values;
  });
}
