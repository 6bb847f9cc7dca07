// Test helper (Node): the PACS-export-like DICOM tree of test/fixtures/dicom_tree.py, made once per test file with pydicom and dcmtk.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export interface TreeImage {
  path: string;
  patient: number;
  PatientID: string;
  StudyInstanceUID: string;
  SeriesInstanceUID: string;
  SOPInstanceUID: string;
  frames: number;
  modality: string;
}

export interface FixtureTree {
  dir: string;
  root: string;
  /** Every PHI value written into a header (names, birth dates, IDs, accession numbers, institutions). */
  phi: string[];
  images: TreeImage[];
  labels: Record<string, string>;
}

/** Debian's python3, where python3-pydicom and python3-numpy live (a pyenv python on PATH would not have them). */
export function makeFixtureTree(dir: string): FixtureTree {
  execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../fixtures/dicom-fixtures.py'), '--tree', dir], {
    stdio: 'pipe',
    timeout: 300_000,
  });
  const made = JSON.parse(readFileSync(path.join(dir, 'tree.json'), 'utf8')) as Omit<FixtureTree, 'dir' | 'root'>;
  return { dir, root: path.join(dir, 'tree'), ...made };
}

/** Every file under `dir`, recursively, as bytes. */
export async function everyFile(dir: string): Promise<{ file: string; bytes: Buffer }[]> {
  const out: { file: string; bytes: Buffer }[] = [];
  for (const entry of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, bytes: await fsp.readFile(file) });
  }
  return out;
}

/** The PHI values found in `text` (each also looked for with its DICOM '^' name separators as spaces). */
export function phiIn(text: string, phi: string[]): string[] {
  return phi.filter((value) => text.includes(value) || text.includes(value.replaceAll('^', ' ')));
}
