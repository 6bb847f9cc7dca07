// Runs anywhere in main: lists root/<class>/**/*.png|jpg|jpeg|webp|tif|tiff and DICOM files into a FileList, reporting whatever it cannot use.
import { constants, promises as fsp, type Dirent } from 'node:fs';
import path from 'node:path';
import { FileList } from './file-list.js';
import { ListingReport } from './problems.js';
import { fsProblem } from '../../config/fs-problem.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff']);

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

const DICOM_PROBE_BYTES = 132;

/**
 * A DICOM Part 10 file by content ('DICM' after the 128-byte preamble), whatever its name: PACS exports name files
 * 1.2.840..., IM000001 or .dcm. Opened non-blocking, so a FIFO cannot hang the listing; any failure means "no".
 */
export async function isDicomFile(file: string): Promise<boolean> {
  const handle = await fsp.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)).catch(() => null);
  if (!handle) return false;
  try {
    const head = new Uint8Array(DICOM_PROBE_BYTES);
    const { bytesRead } = await handle.read(head, 0, DICOM_PROBE_BYTES, 0);
    return bytesRead === DICOM_PROBE_BYTES && String.fromCharCode(...head.subarray(128)) === 'DICM';
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

/** Byte-order comparison: the same order on every machine and locale (readdir's own order is the filesystem's). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The class folder names under `root`, sorted; throws a plain message when `root` is not a readable folder. */
export async function listClassFolders(root: string): Promise<string[]> {
  const stat = await fsp.stat(root).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? `folder ${root} does not exist` : `cannot open ${root}: ${fsProblem(error)}`);
  });
  if (!stat.isDirectory()) throw new Error(`${root} is not a folder`);
  const names: string[] = [];
  for (const entry of await fsp.readdir(root, { withFileTypes: true })) {
    if (await isFolder(root, entry)) names.push(entry.name);
  }
  return names.sort(compareNames);
}

async function isFolder(parent: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  return fsp.stat(path.join(parent, entry.name)).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/**
 * Every image under root/<class> for each of `classNames` (label = position in the list), sorted by path.
 * Sub-folders are walked; symlinks are followed, with loops detected by device and inode.
 */
export async function listImageFolder(root: string, classNames: readonly string[]): Promise<{ files: FileList; report: ListingReport }> {
  const files = new FileList();
  const report = new ListingReport();
  const present = new Set(await listClassFolders(root));
  await reportLooseFiles(root, report);
  const listed = new Map<string, string>([[await folderId(root), root]]);
  for (const extra of [...present].filter((name) => !classNames.includes(name))) {
    report.problem(path.join(root, extra), 'folder is not one of class_names: its images are not used', 'unused');
  }
  for (const [label, name] of classNames.entries()) {
    if (!present.has(name)) {
      report.emptyClasses.push(name);
      continue;
    }
    const before = files.length;
    await walk(path.join(root, name), label, files, report, listed);
    if (files.length === before) report.emptyClasses.push(name);
  }
  return { files: files.seal(), report };
}

/** Files directly under the root belong to no class: images among them are reported, the rest counted. */
async function reportLooseFiles(root: string, report: ListingReport): Promise<void> {
  for await (const entry of await fsp.opendir(root, { bufferSize: 256 })) {
    if (!entry.isFile()) continue;
    if (isImageName(entry.name)) report.problem(path.join(root, entry.name), 'image outside any class folder: not used', 'unused');
    else report.ignoredFiles++;
  }
}

async function folderId(folder: string): Promise<string> {
  const stat = await fsp.stat(folder);
  return `${stat.dev}:${stat.ino}`;
}

/**
 * `listed` holds every folder walked so far (and the root): a symlink back to any of them is a loop or a second
 * path to images already listed, possibly under another class, so it is reported instead of followed.
 */
async function walk(folder: string, label: number, files: FileList, report: ListingReport, listed: Map<string, string>): Promise<void> {
  const id = await folderId(folder);
  const first = listed.get(id);
  if (first !== undefined) return report.problem(folder, `symlink loop or second path: this folder is already listed as ${first}`);
  listed.set(id, folder);
  const images: string[] = [];
  const subfolders: string[] = [];
  try {
    // Streamed: a folder of a hundred thousand files never holds a hundred thousand Dirents at once.
    for await (const entry of await fsp.opendir(folder, { bufferSize: 256 })) {
      const kind = await entryKind(folder, entry, report);
      if (kind === 'folder') subfolders.push(entry.name);
      else if (kind === 'image') images.push(entry.name);
    }
  } catch (error) {
    return report.problem(folder, `cannot read folder: ${(error as Error).message}`);
  }
  const at = files.addFolder(folder);
  for (const name of images.sort(compareNames)) files.add(at, name, label);
  for (const name of subfolders.sort(compareNames)) await walk(path.join(folder, name), label, files, report, listed);
}

/** Classify an entry; anything named like an image that is not a readable regular file becomes a problem. */
async function entryKind(folder: string, entry: Dirent, report: ListingReport): Promise<'image' | 'folder' | 'other'> {
  const full = path.join(folder, entry.name);
  if (entry.isDirectory()) return 'folder';
  if (entry.isFile()) return counted(await isImage(full, entry.name), report);
  if (entry.isSymbolicLink()) {
    const target = await fsp.stat(full).catch((error: NodeJS.ErrnoException) => error);
    if (target instanceof Error) {
      report.problem(full, target.code === 'ELOOP' ? 'symlink loop' : `broken symlink (${target.code ?? target.message})`);
      return 'other';
    }
    if (target.isDirectory()) return 'folder';
    if (target.isFile()) return counted(await isImage(full, entry.name), report);
  }
  if (isImageName(entry.name)) report.problem(full, 'not a regular file (a pipe, socket or device)');
  else report.ignoredFiles++;
  return 'other';
}

async function isImage(file: string, name: string): Promise<boolean> {
  return isImageName(name) || (await isDicomFile(file));
}

function counted(isImage: boolean, report: ListingReport): 'image' | 'other' {
  if (!isImage) report.ignoredFiles++;
  return isImage ? 'image' : 'other';
}
