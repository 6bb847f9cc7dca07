// Runs in a decode worker thread: volumes this thread read whole lately, kept to a byte budget: a shuffled epoch reads a volume once per thread, not per slice.
import { statSync } from 'node:fs';
import type { NiftiHeader } from './header.js';
import type { Values } from './voxels.js';

export interface KeptVolume {
  header: NiftiHeader;
  values: Values;
}

interface Entry extends KeptVolume {
  stamp: string;
}

/** By path, oldest use first (a Map keeps insertion order; a use re-inserts). */
const kept = new Map<string, Entry>();
let keptBytes = 0;

/** Size and modification time: a file changed since it was kept is read again. */
export function stampOf(path: string): string | null {
  try {
    const stat = statSync(path);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return null;
  }
}

function drop(path: string): void {
  const entry = kept.get(path);
  if (!entry) return;
  kept.delete(path);
  keptBytes -= entry.values.byteLength;
}

export function keptVolume(path: string): KeptVolume | undefined {
  const entry = kept.get(path);
  if (!entry) return undefined;
  drop(path);
  if (stampOf(path) !== entry.stamp) return undefined;
  kept.set(path, entry);
  keptBytes += entry.values.byteLength;
  return entry;
}

/** Whether a volume of `bytes` is worth keeping under `budget`: one volume may not take more than half of it. */
export function keepable(bytes: number, budget: number): boolean {
  return bytes <= budget / 2;
}

/** Keep a volume read whole (its stamp taken before the read), dropping the least recently used beyond `budget`. */
export function keep(path: string, stamp: string, volume: KeptVolume, budget: number): void {
  if (!keepable(volume.values.byteLength, budget)) return;
  drop(path);
  kept.set(path, { ...volume, stamp });
  keptBytes += volume.values.byteLength;
  for (const oldest of kept.keys()) {
    if (keptBytes <= budget) break;
    drop(oldest);
  }
}
