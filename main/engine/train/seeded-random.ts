// Runs where tfjs runs (the training thread, the aggregator): makes the random draws tfjs takes follow one seed, so a run can be repeated.
import { splitmix32 } from '../../data/shuffle.js';

/**
 * tfjs seeds each unseeded random op (weight initialisers, dropout masks) from Math.random. Giving a layer a fixed
 * seed instead would repeat the same dropout mask at every step; seeding Math.random keeps the masks fresh but the
 * sequence reproducible. Only for a thread of its own (the training thread): it replaces Math.random there.
 */
export function seedMathRandom(seed: number): void {
  const next = splitmix32(seed);
  Math.random = () => next() / 2 ** 32;
}

/**
 * Seeds Math.random for one build only (the aggregator's initial weights), then puts it back, so that randomness
 * elsewhere in a process that is not a thread of its own stays untouched.
 */
export async function withSeededMathRandom<T>(seed: number, work: () => Promise<T>): Promise<T> {
  const original = Math.random;
  seedMathRandom(seed);
  try {
    return await work();
  } finally {
    Math.random = original;
  }
}
