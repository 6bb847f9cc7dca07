// Tests (Node, numpy at test time): the accountant's (epsilon, delta) against the definition, integrated numerically, and against RDP's bound.
import { describe, expect, it } from 'vitest';
import {
  gaussianDelta,
  gaussianEpsilon,
  gaussianMu,
  noiseMultiplierForRun,
  roundEpsilon,
  spent,
  type DpRelease,
} from '../../../../main/federation/privacy/accountant.js';
import { localDpEpsilonFor, localDpNoiseStd } from '../../../../main/federation/privacy/noise.js';
import { runNumpy } from '../wire/numpy-helper.js';

/**
 * delta(epsilon) straight from its definition, the hockey-stick divergence sup over sets of P(S) - e^epsilon Q(S)
 * between N(mu, 1) and N(0, 1): the integral of max(0, p(x) - e^epsilon q(x)), summed on a fine grid by numpy.
 */
function numericDeltas(cases: readonly (readonly [epsilon: number, mu: number])[]): number[] {
  const out = runNumpy(
    `import json, sys
res = []
for eps, mu in json.loads(sys.argv[1]):
    x = np.arange(-15.0, 15.0 + mu, 1e-4)
    p = np.exp(-(x - mu) ** 2 / 2) / np.sqrt(2 * np.pi)
    q = np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi)
    res.append(float(np.sum(np.maximum(0.0, p - np.exp(eps) * q)) * 1e-4))
print(json.dumps(res))`,
    [JSON.stringify(cases)],
  );
  return JSON.parse(out) as number[];
}

/** The Renyi-DP bound for k Gaussian rounds of multiplier z (Mironov 2017, Proposition 3), minimised over alpha by numpy. */
function rdpEpsilon(k: number, z: number, delta: number): number {
  const out = runNumpy(
    `import sys
k, z, d = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
a = np.geomspace(1.0001, 1e5, 200_000)
print(float(np.min(k * a / (2 * z * z) + np.log(1 / d) / (a - 1))))`,
    [String(k), String(z), String(delta)],
  );
  return Number(out);
}

const flowerRelease = (epsilon: number, delta: number, round: number | null = null): DpRelease => ({
  round,
  noiseMultiplier: localDpNoiseStd(1, epsilon, delta),
  epsilon,
  delta,
});

describe("the Gaussian mechanism's privacy curve", () => {
  it('gives the delta the definition gives, numerically integrated', () => {
    const cases = [
      [0.5, 0.2064],
      [1, 1],
      [4, 1.651],
      [8, 1.651],
      [2, 3],
      [0.1, 0.05],
    ] as const;
    const numeric = numericDeltas(cases);
    cases.forEach(([epsilon, mu], i) => {
      expect(numeric[i]!).toBeGreaterThan(1e-9);
      expect(gaussianDelta(epsilon, mu) / numeric[i]! - 1).toBeCloseTo(0, 3);
    });
  });

  it('finds the least epsilon for a delta: the definition gives that delta back', () => {
    const cases = [
      [0.2064, 1e-5],
      [1, 1e-6],
      [2.5, 1e-5],
    ] as const;
    const epsilons = cases.map(([mu, delta]) => gaussianEpsilon(mu, delta));
    const numeric = numericDeltas(cases.map(([mu], i) => [epsilons[i]!, mu] as const));
    cases.forEach(([, delta], i) => expect(numeric[i]! / delta - 1).toBeCloseTo(0, 3));
    expect(gaussianEpsilon(0.001, 0.4)).toBe(0); // so much noise that delta alone covers it
  });
});

describe("a run's total", () => {
  it("prices one round of Flower's formula exactly (scipy's brentq on the same curve: 0.7510 for epsilon 1, 7.914 for 8)", () => {
    expect(roundEpsilon(flowerRelease(1, 1e-5))).toBeCloseTo(0.750977, 5);
    expect(roundEpsilon(flowerRelease(8, 1e-5))).toBeCloseTo(7.91437, 5);
    expect(roundEpsilon(flowerRelease(0.5, 1e-5))).toBeCloseTo(0.352572, 5);
  });

  it('composes k rounds as one Gaussian mechanism of mu = sqrt(k)/z, within the RDP bound', () => {
    for (const [k, epsilon] of [
      [10, 1],
      [100, 1],
      [10, 8],
    ] as const) {
      const releases = Array.from({ length: k }, (_, i) => flowerRelease(epsilon, 1e-5, i + 1));
      const total = spent(releases, 1e-5, 'gaussian');
      const z = releases[0]!.noiseMultiplier;
      expect(total.epsilon).toBeCloseTo(gaussianEpsilon(Math.sqrt(k) / z, 1e-5), 10);
      expect(total.delta).toBe(1e-5);
      const rdp = rdpEpsilon(k, z, 1e-5);
      expect(total.epsilon).toBeLessThan(rdp);
      expect(total.epsilon).toBeGreaterThan(0.6 * rdp);
    }
    // scipy's values for the same (10 and 100 rounds at epsilon 1, delta 1e-5).
    const run = (k: number) =>
      spent(
        Array.from({ length: k }, () => flowerRelease(1, 1e-5)),
        1e-5,
        'gaussian',
      ).epsilon;
    expect(run(10)).toBeCloseTo(2.688362, 4);
    expect(run(100)).toBeCloseTo(10.393882, 4);
  });

  it('adds up the rounds under basic composition, deltas too, and rounds of different noise compose', () => {
    const releases = [flowerRelease(1, 1e-5), flowerRelease(1, 1e-5), flowerRelease(4, 1e-5)];
    const basic = spent(releases, 1e-5, 'basic');
    expect(basic.epsilon).toBeCloseTo(2 * 0.750977 + roundEpsilon(releases[2]!), 5);
    expect(basic.delta).toBeCloseTo(3e-5, 15);
    const mu = Math.sqrt(releases.reduce((s, r) => s + r.noiseMultiplier ** -2, 0));
    expect(spent(releases, 1e-5, 'gaussian').epsilon).toBeCloseTo(gaussianEpsilon(mu, 1e-5), 10);
    expect(spent([], 1e-5, 'gaussian')).toEqual({ epsilon: 0, delta: 0 });
  });
});

describe('a budget for the whole run, turned into the per-round setting', () => {
  it('finds the mu whose curve passes through (epsilon, delta): the definition, integrated, gives that delta', () => {
    const cases = [
      [1, 1e-5],
      [4, 1e-5],
      [8, 1e-5],
    ] as const;
    const mus = cases.map(([epsilon, delta]) => gaussianMu(epsilon, delta));
    const numeric = numericDeltas(cases.map(([epsilon], i) => [epsilon, mus[i]!] as const));
    cases.forEach(([epsilon, delta], i) => {
      expect(numeric[i]! / delta - 1).toBeCloseTo(0, 2);
      expect(gaussianEpsilon(mus[i]!, delta) / epsilon - 1).toBeCloseTo(0, 9);
    });
    expect(mus[0]!).toBeLessThan(mus[1]!);
  });

  it("gives back Flower's epsilon 1 for the 10-round total scipy computed for it (2.688362)", () => {
    expect(localDpEpsilonFor(noiseMultiplierForRun(2.688362, 1e-5, 10), 1e-5)).toBeCloseTo(1, 5);
    expect(localDpEpsilonFor(localDpNoiseStd(1, 3, 1e-5), 1e-5)).toBeCloseTo(3, 12);
  });

  it('sets rounds whose releases, counted by the accountant, spend the budget and not more', () => {
    for (const [total, rounds] of [
      [1, 5],
      [4, 5],
      [8, 20],
      [8, 1],
    ] as const) {
      const epsilon = localDpEpsilonFor(noiseMultiplierForRun(total, 1e-5, rounds), 1e-5);
      const releases = Array.from({ length: rounds }, (_, i) => flowerRelease(epsilon, 1e-5, i + 1));
      const run = spent(releases, 1e-5, 'gaussian').epsilon;
      expect(run).toBeLessThanOrEqual(total); // never a hair over: the party would decline the last round
      expect(run / total - 1).toBeCloseTo(0, 7);
      expect(spent(releases.slice(1), 1e-5, 'gaussian').epsilon).toBeLessThan(total);
    }
  });

  it('names what is wrong with a budget it cannot meet', () => {
    expect(() => gaussianMu(0, 1e-5)).toThrow(/epsilon 0 must be positive/);
    expect(() => gaussianMu(1, 1)).toThrow(/delta 1 in \(0, 1\)/);
    expect(() => noiseMultiplierForRun(1, 1e-5, 0)).toThrow(/rounds 0 must be a whole number/);
  });
});
