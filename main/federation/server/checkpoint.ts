// Runs in the aggregator (plain Node): the global model after each round on disk: a folder of .npy files and a manifest, written atomically.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { NamedArray } from '../../engine/weights.js';
import { decodeNpy, encodeNpy } from '../wire/npy/npy.js';

export const CHECKPOINT_FORMAT = 'tributary-checkpoint/1';

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  /** 0 is the initial model; round n is the global model after round n. */
  round: number;
  created_at: string;
  /** Keras get_weights() order: load them in this order. */
  arrays: { name: string; file: string; dtype: 'float32'; shape: number[] }[];
}

/** `round-0003`: sorts in round order in any file browser. */
function checkpointName(round: number): string {
  return `round-${String(round).padStart(4, '0')}`;
}

/**
 * Writes into a hidden temporary folder beside the target, syncs every file, then renames the folder into place:
 * a reader (or a crash) sees either no checkpoint for the round or a complete one.
 */
export async function writeCheckpoint(checkpointsDir: string, round: number, weights: readonly NamedArray[]): Promise<string> {
  const name = checkpointName(round);
  const target = path.join(checkpointsDir, name);
  const temp = path.join(checkpointsDir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(temp, { recursive: true });
  try {
    const arrays = [];
    for (const [index, array] of weights.entries()) {
      const file = `${String(index).padStart(3, '0')}-${array.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`;
      await writeSynced(path.join(temp, file), encodeNpy({ dtype: 'float32', shape: [...array.shape], data: array.data }, array.name));
      arrays.push({ name: array.name, file, dtype: 'float32' as const, shape: [...array.shape] });
    }
    const manifest: CheckpointManifest = { format: CHECKPOINT_FORMAT, round, created_at: new Date().toISOString(), arrays };
    await writeSynced(path.join(temp, 'manifest.json'), new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`));
    await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return target;
}

export async function readCheckpoint(folder: string): Promise<{ manifest: CheckpointManifest; weights: NamedArray[] }> {
  const manifestFile = path.join(folder, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as CheckpointManifest;
  if (manifest.format !== CHECKPOINT_FORMAT)
    throw new Error(`${manifestFile}: format ${JSON.stringify(manifest.format)} is not ${CHECKPOINT_FORMAT}`);
  const weights: NamedArray[] = [];
  for (const entry of manifest.arrays) {
    const array = decodeNpy(await readFile(path.join(folder, entry.file)), { what: `${folder}/${entry.file}` });
    if (array.dtype !== 'float32') throw new Error(`${folder}/${entry.file}: dtype ${array.dtype}, expected float32`);
    weights.push({ name: entry.name, shape: array.shape, dtype: 'float32', data: array.data });
  }
  return { manifest, weights };
}

async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
