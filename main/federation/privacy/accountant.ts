// Runs in the party (plain Node): the privacy accountant: what a run's noised updates have cost in (epsilon, delta), per round and in total.
import erfc from '@stdlib/math-base-special-erfc';

/**
 * One update sent with local-DP noise: a Gaussian mechanism whose noise multiplier is std / sensitivity. epsilon
 * and delta are what the site configured (Flower's formula set the noise from them).
 */
export interface DpRelease {
  round: number | null;
  noiseMultiplier: number;
  epsilon: number;
  delta: number;
}

export type Accountant = 'gaussian' | 'basic';

export interface Spent {
  epsilon: number;
  delta: number;
}

/**
 * The total a run's releases cost. Assumptions, for every release: it is the site's whole update, clipped so that
 * any two updates the site could send are within the sensitivity; its noise is fresh; there is no amplification by
 * sampling (the site trains on all its data, and is assumed picked every round).
 *
 * gaussian: k Gaussian mechanisms with multipliers z_i compose exactly into one with mu = sqrt(sum 1/z_i^2) (Dong,
 * Roth, Su, "Gaussian differential privacy", 2019/2022, Corollary 3.3), whose (epsilon, delta) curve is exact
 * (Balle and Wang, ICML 2018, Theorem 8); the total is its epsilon at `delta`. No bound is looser than needed.
 * basic: each round's exact epsilon at its delta, added up, with the deltas (Dwork and Roth, Theorem 3.16): simple
 * to check by hand, and much larger after a few rounds.
 */
export function spent(releases: readonly DpRelease[], delta: number, accountant: Accountant): Spent {
  if (releases.length === 0) return { epsilon: 0, delta: 0 };
  if (accountant === 'basic') {
    return {
      epsilon: releases.reduce((sum, release) => sum + roundEpsilon(release), 0),
      delta: releases.reduce((sum, release) => sum + release.delta, 0),
    };
  }
  const mu = Math.sqrt(releases.reduce((sum, { noiseMultiplier: z }) => sum + 1 / (z * z), 0));
  return { epsilon: gaussianEpsilon(mu, delta), delta };
}

/** One release's exact epsilon at its own delta. Flower's formula is proven only for epsilon below 1 (Dwork and Roth, Theorem A.1); this holds for any. */
export function roundEpsilon({ noiseMultiplier, delta }: DpRelease): number {
  return gaussianEpsilon(1 / noiseMultiplier, delta);
}

/** delta(epsilon) of a mu-Gaussian mechanism: Phi(-epsilon/mu + mu/2) - e^epsilon Phi(-epsilon/mu - mu/2). */
export function gaussianDelta(epsilon: number, mu: number): number {
  const first = normalCdf(-epsilon / mu + mu / 2);
  const second = expTimesUpperTail(epsilon, (epsilon / mu + mu / 2) / Math.SQRT2);
  return Math.max(0, first - second);
}

/** The least epsilon with delta(epsilon) <= delta for a mu-Gaussian mechanism (delta(epsilon) falls as epsilon grows). */
export function gaussianEpsilon(mu: number, delta: number): number {
  if (!(mu > 0) || !(delta > 0)) throw new Error(`gaussianEpsilon: mu ${mu} and delta ${delta} must be positive`);
  if (gaussianDelta(0, mu) <= delta) return 0;
  let high = 1;
  while (gaussianDelta(high, mu) > delta) {
    high *= 2;
    if (high > 1e6) return Infinity;
  }
  let low = 0;
  for (let step = 0; step < 200 && high - low > 1e-12 * high; step++) {
    const middle = (low + high) / 2;
    if (gaussianDelta(middle, mu) > delta) low = middle;
    else high = middle;
  }
  return high;
}

/**
 * The inverse of gaussianEpsilon: the mu whose mu-Gaussian mechanism has exactly `epsilon` at `delta` (delta(epsilon)
 * grows with mu, so a bisection finds it). What a target epsilon allows, before any noise is set.
 */
export function gaussianMu(epsilon: number, delta: number): number {
  if (!(epsilon > 0) || !Number.isFinite(epsilon) || !(delta > 0 && delta < 1))
    throw new Error(`gaussianMu: epsilon ${epsilon} must be positive and finite, delta ${delta} in (0, 1)`);
  let high = 1;
  while (gaussianDelta(epsilon, high) < delta) high *= 2;
  let low = 0;
  for (let step = 0; step < 200 && high - low > 1e-12 * high; step++) {
    const middle = (low + high) / 2;
    if (gaussianDelta(epsilon, middle) < delta) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * The noise multiplier per round that makes `rounds` equal Gaussian releases cost `totalEpsilon` at `delta` in total
 * under the gaussian accountant: they compose into mu = sqrt(rounds) / z, so z = sqrt(rounds) / gaussianMu(total).
 * The least noise a run of that many rounds can have within that budget (the basic accountant would need more), plus
 * one part in 10^9: the bisections and the round trip through Flower's formula round both ways, and a run calibrated
 * to its budget must not come out a hair over it (the party would decline its last round).
 */
export function noiseMultiplierForRun(totalEpsilon: number, delta: number, rounds: number): number {
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`noiseMultiplierForRun: rounds ${rounds} must be a whole number from 1`);
  return (Math.sqrt(rounds) / gaussianMu(totalEpsilon, delta)) * (1 + 1e-9);
}

function normalCdf(x: number): number {
  return erfc(-x / Math.SQRT2) / 2;
}

/**
 * e^epsilon * erfc(t) / 2, with t = (epsilon/mu + mu/2)/sqrt(2): where erfc(t) would underflow, its asymptotic
 * series e^(-t^2) / (t sqrt(pi)) (1 - 1/(2t^2) + 3/(4t^4)), taken in logs (relative error below 1e-8 there).
 */
function expTimesUpperTail(epsilon: number, t: number): number {
  if (t < 26) return (Math.exp(epsilon) * erfc(t)) / 2;
  const series = 1 - 1 / (2 * t * t) + 3 / (4 * t ** 4);
  return Math.exp(epsilon - t * t - Math.log(t * Math.sqrt(Math.PI))) * (series / 2);
}
