// Runs in the aggregator (plain Node): the `secagg:` section (Flower's SecAggPlusWorkflow parameters) and what they come to for one round.
import { z } from 'zod';
import { roundHalfEven } from '../secagg/masking.js';
import type { SetupParams } from '../secagg/stage-configs.js';

/** Flower's `num_shares`/`reconstruction_threshold`: a whole count, or a share (0, 1] of the sampled nodes (1 means all). */
const countOrShare = (minCount: number) =>
  z
    .number()
    .positive()
    .refine((value) => value <= 1 || (Number.isInteger(value) && value >= minCount), {
      message: `expected a whole number of at least ${minCount}, or a share above 0 and at most 1`,
    });

/** Flower's quantisation works in float64 and numpy int64; masks here stay exact up to 2^32 (Flower's default and documented maximum). */
const MAX_MODULUS_RANGE = 2 ** 32;

export const SecAggSectionSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe("train with Flower's SecAgg+: the aggregator sees only the sum of the updates"),
    num_shares: countOrShare(3)
      .default(3)
      .describe("neighbours each node's secrets are shared among, itself included (Flower's example: 3)"),
    reconstruction_threshold: countOrShare(2)
      .default(2)
      .describe("shares that rebuild a secret (Flower's example: 2); more: better privacy, fewer dropouts survived"),
    max_weight: z
      .number()
      .positive()
      .default(1000)
      .describe('examples that weigh 1: a node with more has its weights scaled up before clipping'),
    clipping_range: z.number().positive().max(1e6).default(8).describe('weights are clipped to +-this before quantisation'),
    quantization_range: z
      .number()
      .int()
      .min(2)
      .default(2 ** 22),
    modulus_range: z
      .number()
      .int()
      .max(MAX_MODULUS_RANGE)
      .default(2 ** 32),
  })
  .superRefine((section, context) => {
    const { num_shares: shares, reconstruction_threshold: threshold, modulus_range: mod, quantization_range: quant } = section;
    if (shares >= 3 && threshold > 1 && threshold >= shares)
      context.addIssue({ code: 'custom', path: ['reconstruction_threshold'], message: `must be less than num_shares (${shares})` });
    if (mod <= quant || (mod & (mod - 1)) !== 0)
      context.addIssue({
        code: 'custom',
        path: ['modulus_range'],
        message: `must be a power of 2 above quantization_range (${quant}), at most 2^32`,
      });
  })
  .prefault({});

export type SecAggSection = z.infer<typeof SecAggSectionSchema>;
export type SecAggSectionInput = z.input<typeof SecAggSectionSchema>;

/** One round's protocol parameters, once the number of sampled nodes is known: what the setup stage sends each node. */
export type SecAggRoundParams = SetupParams;

/**
 * Flower's setup_stage arithmetic (Python's round, halves to even): a share of the nodes becomes a count (made odd, or all nodes when it comes to 2
 * or less), a share threshold a count of at least 2. Unlike Flower, an even count below the node count is made odd
 * before it is sent, so each node gets as many neighbours as it was told to make shares for (Flower sends one more).
 */
export function roundParams(section: SecAggSection, sampleNum: number): SecAggRoundParams {
  let shareNum = section.num_shares <= 1 ? roundHalfEven(section.num_shares * sampleNum) : section.num_shares;
  if (section.num_shares <= 1 && shareNum <= 2) shareNum = sampleNum;
  shareNum = Math.min(shareNum, sampleNum);
  if (shareNum < sampleNum && shareNum % 2 === 0) shareNum += 1;
  const threshold =
    section.reconstruction_threshold <= 1
      ? Math.max(roundHalfEven(section.reconstruction_threshold * shareNum), 2)
      : section.reconstruction_threshold;
  return {
    sampleNum,
    shareNum,
    threshold,
    clippingRange: section.clipping_range,
    targetRange: section.quantization_range,
    modRange: section.modulus_range,
    maxWeight: section.max_weight,
  };
}

/** Why a round cannot run SecAgg+ with these parameters, or undefined. */
export function roundProblem(params: SecAggRoundParams): string | undefined {
  if (params.sampleNum < 2) return `SecAgg+ needs at least 2 nodes, ${params.sampleNum} sampled`;
  if (params.threshold > params.shareNum)
    return `reconstruction threshold ${params.threshold} is more than the ${params.shareNum} shares each secret has (${params.sampleNum} nodes sampled)`;
  // Each node's quantised weights are below target_range: their sum must stay below mod_range, or it wraps.
  if (params.sampleNum * params.targetRange >= params.modRange)
    return `${params.sampleNum} nodes' quantised weights (each below ${params.targetRange}) could add up past modulus_range ${params.modRange}`;
  return undefined;
}

/** Flower's ring: after a shuffle, each node's neighbours are the shareNum nodes centred on it (itself included). */
export function neighbourRing(order: readonly bigint[], shareNum: number): Map<bigint, Set<bigint>> {
  const half = shareNum >> 1;
  const n = order.length;
  return new Map(
    order.map((nid, index) => [nid, new Set(Array.from({ length: 2 * half + 1 }, (_, k) => order[(((index + k - half) % n) + n) % n]!))]),
  );
}
