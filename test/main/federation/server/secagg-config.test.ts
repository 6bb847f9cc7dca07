// Tests (plain Node): the aggregator's `secagg:` section, what it comes to for a round (Flower's arithmetic), and the SecAgg+ reply limits.
import { describe, expect, it } from 'vitest';
import { AggregatorConfigSchema, loadAggregatorConfig } from '../../../../main/federation/server/config.js';
import { neighbourRing, roundParams, roundProblem, SecAggSectionSchema } from '../../../../main/federation/server/secagg-config.js';
import { secAggReplyLimits } from '../../../../main/federation/server/secagg-limits.js';
import { messageLimits } from '../../../../main/federation/wire/limits.js';

const issues = (input: unknown) => {
  const result = SecAggSectionSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('the secagg: section', () => {
  it("is off by default, with Flower's parameters", () => {
    const config = AggregatorConfigSchema.parse({ insecure: true, model: { builtin: 'mlp' } });
    expect(config.secagg).toEqual({
      enabled: false,
      num_shares: 3,
      reconstruction_threshold: 2,
      max_weight: 1000,
      clipping_range: 8,
      quantization_range: 2 ** 22,
      modulus_range: 2 ** 32,
    });
  });

  it('refuses what Flower refuses, naming the key', () => {
    expect(issues({ num_shares: 2 })).toEqual(['num_shares: expected a whole number of at least 3, or a share above 0 and at most 1']);
    expect(issues({ num_shares: 5, reconstruction_threshold: 5 })).toEqual(['reconstruction_threshold: must be less than num_shares (5)']);
    expect(issues({ modulus_range: 3_000_000_000 })).toEqual([
      'modulus_range: must be a power of 2 above quantization_range (4194304), at most 2^32',
    ]);
    expect(issues({ modulus_range: 2 ** 33 })[0]).toMatch(/^modulus_range: /);
    expect(issues({ max_weight: 0 })[0]).toMatch(/^max_weight: /);
    expect(issues({ num_shares: 0.5, reconstruction_threshold: 0.6 })).toEqual([]);
  });

  it('takes the flags over the file, and blames the flag for a bad value', async () => {
    const flags = [
      { key: ['model', 'builtin'], value: 'mlp', flag: '--model' },
      { key: ['insecure'], value: true, flag: '--insecure' },
      { key: ['secagg', 'enabled'], value: true, flag: '--secagg' },
    ];
    const { config } = await loadAggregatorConfig(undefined, [
      ...flags,
      { key: ['secagg', 'num_shares'], value: 5, flag: '--secagg-shares' },
    ]);
    expect(config.secagg).toMatchObject({ enabled: true, num_shares: 5, reconstruction_threshold: 2 });
    await expect(
      loadAggregatorConfig(undefined, [...flags, { key: ['secagg', 'num_shares'], value: 2, flag: '--secagg-shares' }]),
    ).rejects.toThrow(/--secagg-shares.*num_shares.*at least 3/s);
  });
});

describe('a round under SecAgg+', () => {
  const section = SecAggSectionSchema.parse({ enabled: true });

  it('resolves shares and threshold as Flower does, an even count made odd before it is sent', () => {
    expect(roundParams(section, 10)).toMatchObject({ sampleNum: 10, shareNum: 3, threshold: 2 });
    expect(roundParams({ ...section, num_shares: 4 }, 10).shareNum).toBe(5);
    expect(roundParams({ ...section, num_shares: 7 }, 3).shareNum).toBe(3);
    // Shares of the nodes: round(0.4 x 10) = 4, made odd; threshold round(0.5 x 5) = 2 (Python's round: halves to even).
    expect(roundParams({ ...section, num_shares: 0.4, reconstruction_threshold: 0.5 }, 10)).toMatchObject({ shareNum: 5, threshold: 2 });
    expect(roundParams({ ...section, num_shares: 1, reconstruction_threshold: 1 }, 4)).toMatchObject({ shareNum: 4, threshold: 4 });
    expect(roundParams({ ...section, num_shares: 0.1 }, 10).shareNum).toBe(10); // 1 share is too few: all
  });

  it('says why a round cannot run', () => {
    expect(roundProblem(roundParams(section, 1))).toBe('SecAgg+ needs at least 2 nodes, 1 sampled');
    expect(roundProblem(roundParams({ ...section, num_shares: 5, reconstruction_threshold: 4 }, 3))).toMatch(
      /^reconstruction threshold 4 is more than the 3 shares/,
    );
    expect(roundProblem(roundParams(section, 1024))).toMatch(/could add up past modulus_range/);
    expect(roundProblem(roundParams(section, 1023))).toBeUndefined();
  });

  it("builds Flower's ring of neighbours, each node at its centre", () => {
    const ring = neighbourRing([5n, 1n, 9n, 7n, 3n], 3);
    expect([...ring.get(5n)!].sort()).toEqual([1n, 3n, 5n]);
    expect([...ring.get(9n)!].sort()).toEqual([1n, 7n, 9n]);
    expect([...neighbourRing([1n, 2n], 3).get(1n)!].sort()).toEqual([1n, 2n]);
  });
});

describe('SecAgg+ reply limits', () => {
  it('let through one masked update of the model (8 bytes a weight in one ConfigRecord), bounded by it', () => {
    const shapes = [[784, 256], [256], [256, 10], [10]];
    const weights = 784 * 256 + 256 + 2560 + 10;
    const limits = secAggReplyLimits(shapes);
    expect(limits.settingBytes).toBeGreaterThan(8 * 784 * 256);
    expect(limits.settingBytes).toBeLessThan(8 * 784 * 256 + 1024);
    expect(limits.structureObjectBytes).toBeGreaterThan(8 * (weights + 1));
    expect(limits.structureObjectBytes).toBeLessThan(8 * weights + 4096);
    expect(limits.objectBytes).toBe(limits.structureObjectBytes);
    // A tiny model keeps the wire layer's usual limits.
    expect(secAggReplyLimits([[2]])).toMatchObject({ settingBytes: 64 * 1024, structureObjectBytes: 1024 * 1024 });
    expect(limits.objects).toBe(messageLimits(shapes).objects);
  });
});
