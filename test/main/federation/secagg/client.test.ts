// Tests (Node): the SecAgg+ party against the collect stage's bytes from numpy and an in-process Flower workflow with dropouts.
import { describe, expect, it } from 'vitest';

import { SecAggPlusClient } from '../../../../main/federation/secagg/client.js';
import { privateKeyFromPem, publicKeyFromPem } from '../../../../main/federation/secagg/keys.js';
import { maskSeeds, maskUpdate, quantizeUpdate, roundHalfEven, type FitOutcome } from '../../../../main/federation/secagg/masking.js';
import { addInPlace, type IntVector } from '../../../../main/federation/secagg/modular.js';
import { Mt19937 } from '../../../../main/federation/secagg/mt19937.js';
import type { Stage } from '../../../../main/federation/secagg/protocol.js';
import type { SetupParams } from '../../../../main/federation/secagg/stage-configs.js';
import { inProcess, runWorkflow, type WorkflowSettings } from './flower-workflow.js';
import { ascii, hex, vectors } from './vectors.js';

describe('collect_masked_vectors arithmetic', () => {
  it("masks a quantised vector exactly as Flower's mod does, with ids above 2^63 and both mask signs", () => {
    const m = vectors.masking;
    const peers = m.peers.map((peer) => ({ nid: BigInt(peer.nid), pk1: publicKeyFromPem(ascii(peer.public_pem), 'pk1') }));
    const vector = m.vector.map((v) => ({ shape: v.shape, data: Float64Array.from(v.values) }));
    const sk1 = privateKeyFromPem(ascii(m.own.private_pem), 'sk1');
    const masked = maskUpdate(vector, maskSeeds(BigInt(m.nid), hex(m.rd_seed), sk1, peers), m.mod_range);
    expect(masked.map((v) => Array.from(v.data))).toEqual(m.masked);
  });

  it("rounds the weight ratio as Python's round() does", () => {
    expect([0.5, 1.5, 2.5, 2516582.4, 2516582.5, 2516583.5].map(roundHalfEven)).toEqual([0, 2, 2, 2516582, 2516582, 2516584]);
  });
});

const SETTINGS: Omit<WorkflowSettings, 'numShares' | 'threshold'> = {
  clippingRange: 8,
  quantizationRange: 2 ** 22,
  modRange: 2 ** 32,
  maxWeight: 1000,
  shuffle: (ids) => [...ids].reverse(),
};
const IDS = [2n ** 63n + 11n, 7n, 2n ** 64n - 5n, 12345n, 2n ** 62n];

/** A party with small random weights (two arrays, one 0-d) and its own seeded rounding draws. */
function party(index: number, lastStage?: Stage) {
  const seed = 1000 + index;
  const generator = new Mt19937(seed);
  const weights = Float32Array.from({ length: 10 }, () => generator.nextDouble() * 2 - 1);
  const fit: FitOutcome = {
    arrays: [
      { shape: [2, 5], data: weights },
      { shape: [], data: Float32Array.of(index / 10) },
    ],
    numExamples: 100 + 37 * index,
  };
  const client = new SecAggPlusClient({ roundingSeed: () => seed + 1 });
  return { ...inProcess(IDS[index]!, client, fit, lastStage), fit, seed };
}

function expectedSum(parties: ReturnType<typeof party>[], params: SetupParams): IntVector[] {
  const quantized = parties.map((p) => {
    const rounding = new Mt19937(p.seed + 1);
    return quantizeUpdate(p.fit, params, () => rounding.nextDouble());
  });
  const sum = quantized[0]!.map((vector) => ({ shape: vector.shape, data: Float64Array.from(vector.data) }));
  quantized.slice(1).forEach((vectors) => vectors.forEach((vector, i) => addInPlace(sum[i]!, vector, params.modRange)));
  return sum;
}

function fedAvg(parties: ReturnType<typeof party>[]): Float64Array[] {
  const total = parties.reduce((sum, p) => sum + p.fit.numExamples, 0);
  return parties[0]!.fit.arrays.map((array, a) =>
    Float64Array.from(array.data, (_, i) => parties.reduce((sum, p) => sum + p.fit.arrays[a]!.data[i]! * p.fit.numExamples, 0) / total),
  );
}

describe.each([
  { count: 3, numShares: 3, threshold: 2 },
  { count: 5, numShares: 3, threshold: 2 },
  { count: 5, numShares: 5, threshold: 3 },
])(
  'a Flower SecAggPlusWorkflow round with $count parties (share_num $numShares, threshold $threshold)',
  ({ count, numShares, threshold }) => {
    const settings = { ...SETTINGS, numShares, threshold };
    const params: SetupParams = { sampleNum: count, shareNum: numShares, threshold, ...SETTINGS, targetRange: SETTINGS.quantizationRange };

    it.each([false, true])(
      'unmasks the sum of the quantised updates and their FedAvg (one party drops after share_keys: %s)',
      async (drop) => {
        const parties = Array.from({ length: count }, (_, i) => party(i, drop && i === 1 ? 'share_keys' : undefined));
        const survivors = parties.filter((p) => !p.lastStage);
        const result = await runWorkflow(parties, settings);
        expect(result.active.sort()).toEqual(survivors.map((p) => p.nid).sort());
        expect(result.unmasked.map((v) => Array.from(v.data))).toEqual(expectedSum(survivors, params).map((v) => Array.from(v.data)));
        const qTotal = result.unmasked[0]!.data[0]!;
        const tolerance = (survivors.length * 2 * SETTINGS.clippingRange) / qTotal + 1e-5;
        const expected = fedAvg(survivors);
        result.aggregate.forEach((array, a) =>
          array.forEach((value, i) => expect(Math.abs(value - expected[a]![i]!)).toBeLessThan(tolerance)),
        );
      },
      60_000,
    );
  },
);
