// Runs anywhere in main: seeded, per-epoch sample order, so a given (seed, epoch) always gives the same order.

/** splitmix32: a small, well-mixed PRNG; enough for shuffling, not for cryptography. */
export function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** The order of `count` samples in `epoch`: identity without shuffling, else a Fisher-Yates permutation. */
export function epochOrder(count: number, shuffle: boolean, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (!shuffle) return order;
  // Mixing the epoch into the seed makes every epoch's order reachable directly, without replaying earlier ones.
  const next = splitmix32(splitmix32(seed ^ Math.imul(epoch + 1, 0x27d4eb2d))());
  for (let i = count - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** n distinct indices below `count`, drawn with `seed` (a partial Fisher-Yates over a sparse swap map). */
export function sampleIndices(count: number, n: number, seed: number): number[] {
  const next = splitmix32(seed);
  const swapped = new Map<number, number>();
  const picked: number[] = [];
  for (let i = 0; i < Math.min(n, count); i++) {
    const j = i + (next() % (count - i));
    const atJ = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    picked.push(atJ);
  }
  return picked;
}
