// Runs in the training thread: makes every random draw tfjs takes there follow one seed, so a run can be repeated.
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
