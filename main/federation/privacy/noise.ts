// Runs in the party (plain Node): Gaussian noise for local DP, from crypto-quality random bytes, and the grid its results are snapped to.
import { createCipheriv, createHash, randomFillSync } from 'node:crypto';

/**
 * Where noise gets its randomness. Production: the operating system's CSPRNG (node:crypto). Math.random is a
 * xorshift128+ whose whole state can be recovered from a few outputs: whoever recovered it could subtract the noise
 * from an update and undo the privacy. Written here rather than taken from a library because Node's own crypto is
 * the library; the Gaussian transform below is a few lines.
 */
export interface RandomSource {
  fill(bytes: Uint8Array): void;
}

export const cryptoRandom: RandomSource = { fill: (bytes) => void randomFillSync(bytes) };

/** A repeatable stream (AES-256-CTR under a key derived from the seed), for tests that need the same noise twice. */
export function seededRandom(seed: string): RandomSource {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return { fill: (bytes) => bytes.set(cipher.update(new Uint8Array(bytes.length))) };
}

const TWO_POW_26 = 2 ** 26;
const TWO_POW_53 = 2 ** 53;

/** `count` standard normal values (Box-Muller on 53-bit uniforms: 16 random bytes per pair). */
export function standardNormals(count: number, source: RandomSource): Float64Array {
  const out = new Float64Array(count);
  const pairs = Math.ceil(count / 2);
  const words = new Uint32Array(pairs * 4);
  source.fill(new Uint8Array(words.buffer));
  for (let pair = 0; pair < pairs; pair++) {
    // u1 in (0, 1] so its log is finite; u2 in [0, 1).
    const u1 = (uniform53(words[pair * 4]!, words[pair * 4 + 1]!) + 1) / TWO_POW_53;
    const u2 = uniform53(words[pair * 4 + 2]!, words[pair * 4 + 3]!) / TWO_POW_53;
    const radius = Math.sqrt(-2 * Math.log(u1));
    out[pair * 2] = radius * Math.cos(2 * Math.PI * u2);
    if (pair * 2 + 1 < count) out[pair * 2 + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** An integer in [0, 2^53) from two 32-bit words. */
function uniform53(high: number, low: number): number {
  return (high >>> 5) * TWO_POW_26 + (low >>> 6);
}

/**
 * The grid a noised value is rounded to: a power of two 2^8 times finer than the noise's standard deviation.
 * Floating-point Gaussian samplers leave, in the low bits of x + noise, traces of x that an observer can use to tell
 * one x from another (Mironov, CCS 2012, for Laplace; Jin et al., IEEE S&P 2022, for Gaussian samplers). Rounding
 * to a grid far coarser than those bits and far finer than the noise removes them (the idea of Mironov's snapping
 * mechanism) at a cost of at most std/512 per value; rounding after the noise is post-processing, so it spends no privacy.
 */
export function snappingGrid(std: number): number {
  return 2 ** (Math.floor(Math.log2(std)) - 8);
}

/** Flower's local-DP noise: sigma = sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon (flwr.common.differential_privacy). */
export function localDpNoiseStd(sensitivity: number, epsilon: number, delta: number): number {
  return (sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
}

/**
 * The per-round epsilon to configure (`local_dp.epsilon`) for a noise multiplier z = std / sensitivity: Flower's
 * formula solved for epsilon, sqrt(2 ln(1.25 / delta)) / z. With noiseMultiplierForRun it turns a budget for the
 * whole run into the party's per-round setting.
 */
export function localDpEpsilonFor(noiseMultiplier: number, delta: number): number {
  return Math.sqrt(2 * Math.log(1.25 / delta)) / noiseMultiplier;
}
