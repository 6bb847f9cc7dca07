// Runs anywhere in main: a bounded look at a folder tree (so many entries per folder, so many folders, so deep) for recognising its layout.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fsProblem } from '../../config/fs-problem.js';
import { compareNames } from '../sources/image-folder-listing.js';

export interface SampleLimits {
  /** Entries read of any one folder: a class folder of 60,000 images is judged by its first few. */
  perFolder: number;
  /** Folders read in all, breadth first. */
  folders: number;
  /** How deep below the root (the root's own entries are depth 1). */
  depth: number;
}

export const DEFAULT_LIMITS: SampleLimits = { perFolder: 64, folders: 256, depth: 8 };

export interface SampledFolder {
  /** Relative to the root, '' for the root; '/' separated. */
  path: string;
  files: string[];
  folders: string[];
  /** The folder held more entries than were read. */
  truncated: boolean;
}

export interface FolderSample {
  root: string;
  folders: Map<string, SampledFolder>;
  entriesRead: number;
  /** Some folder was cut short, or folders were left unread (too many, or too deep). */
  partial: boolean;
  limits: SampleLimits;
}

export class LayoutError extends Error {
  override name = 'LayoutError';
}

/** Breadth first from `root`; a folder that cannot be read is left out (the scan reports it). Throws when root itself is no folder. */
export async function sampleFolder(root: string, limits: SampleLimits = DEFAULT_LIMITS): Promise<FolderSample> {
  const stat = await fsp.stat(root).catch((error: NodeJS.ErrnoException) => {
    throw new LayoutError(error.code === 'ENOENT' ? `folder ${root} does not exist` : `cannot open ${root}: ${fsProblem(error)}`);
  });
  if (!stat.isDirectory()) throw new LayoutError(`${root} is not a folder`);
  const sample: FolderSample = { root, folders: new Map(), entriesRead: 0, partial: false, limits };
  const queue = [{ rel: '', depth: 1 }];
  while (queue.length) {
    const { rel, depth } = queue.shift()!;
    if (sample.folders.size >= limits.folders) {
      sample.partial = true;
      break;
    }
    const read = await readSome(path.join(root, rel), limits.perFolder);
    if (!read) continue;
    const folder = { path: rel, ...read };
    sample.folders.set(rel, folder);
    sample.entriesRead += read.files.length + read.folders.length;
    sample.partial ||= read.truncated || (depth >= limits.depth && read.folders.length > 0);
    if (depth < limits.depth) queue.push(...read.folders.map((name) => ({ rel: rel ? `${rel}/${name}` : name, depth: depth + 1 })));
  }
  return sample;
}

async function readSome(dir: string, limit: number): Promise<Omit<SampledFolder, 'path'> | null> {
  const handle = await fsp.opendir(dir).catch(() => null);
  if (!handle) return null;
  const files: string[] = [];
  const folders: string[] = [];
  let truncated = false;
  try {
    for await (const entry of handle) {
      if (files.length + folders.length >= limit) {
        truncated = true;
        break;
      }
      if (entry.name.startsWith('.')) continue;
      const kind = entry.isSymbolicLink() ? await linkKind(path.join(dir, entry.name)) : entry;
      if (kind?.isDirectory()) folders.push(entry.name);
      else if (kind?.isFile()) files.push(entry.name);
    }
  } catch {
    truncated = true; // a folder that fails mid-read: judged on what was read
  }
  // for-await closes the handle when the loop ends or breaks.
  return { files: files.sort(compareNames), folders: folders.sort(compareNames), truncated };
}

function linkKind(file: string): Promise<{ isDirectory(): boolean; isFile(): boolean } | null> {
  return fsp.stat(file).catch(() => null);
}

/** Every sampled file, relative to the root, in breadth-first order. */
export function sampledFiles(sample: FolderSample): string[] {
  return [...sample.folders.values()].flatMap((folder) => folder.files.map((name) => (folder.path ? `${folder.path}/${name}` : name)));
}
