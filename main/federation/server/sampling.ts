// Runs in the aggregator (plain Node): how many nodes a FedAvg phase asks, and which, as Flower's sample_nodes decides.

/**
 * Flower: int(online x fraction), but never fewer than the minimum. The phase then waits until that many nodes
 * (and at least min_available) are online, so a fraction below 1 still asks every node of a small federation.
 */
export function sampleSize(online: number, fraction: number, minNodes: number): number {
  return Math.max(Math.floor(online * fraction), minNodes);
}

/** `count` distinct ids drawn uniformly (a partial Fisher-Yates shuffle), like Python's random.sample. */
export function sampleNodes<T>(ids: readonly T[], count: number, random: () => number = Math.random): T[] {
  if (count > ids.length) throw new Error(`cannot sample ${count} nodes out of ${ids.length}`);
  const pool = [...ids];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}
