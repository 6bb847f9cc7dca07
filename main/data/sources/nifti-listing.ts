// Runs anywhere in main: a NIfTI set (a folder with a labels CSV, or a CSV of file, label and subject rows) to labelled volumes with their headers read.
import { promises as fsp, type Dirent } from 'node:fs';
import path from 'node:path';
import { readNiftiHeader, type NiftiHeader, type NiftiLimits } from '../decode/nifti/index.js';
import { compareNames } from './image-folder-listing.js';
import type { ListingReport } from './problems.js';
import { fsProblem } from '../../config/fs-problem.js';
import { readCsvRecords } from './csv-records.js';

/** Volumes one folder may list: enough for any study, and a bound on a tree that never ends. */
const MAX_VOLUMES = 1_000_000;
/** Headers read at once: each is a small read (or the first few hundred inflated bytes of a .nii.gz). */
const HEADER_READS = 8;

export function isNiftiName(name: string): boolean {
  return /\.nii(\.gz)?$/i.test(name);
}

export interface CsvColumns {
  file: string;
  label: string;
  subject?: string;
}

/** A volume as listed, before its header is read: its label as written, and its subject (the file itself by default). */
export interface ListedVolume {
  path: string;
  label: string;
  subject: string;
}

export interface Volume extends ListedVolume {
  header: NiftiHeader;
  gzip: boolean;
}

interface CsvRow {
  line: number;
  file: string;
  label: string;
  subject: string;
}

/** The rows of a CSV, bounded in size; a missing column or an unparsable file is an error naming the file. */
export async function readCsv(file: string, columns: CsvColumns): Promise<CsvRow[]> {
  const records = await readCsvRecords(file, [columns.file, columns.label, ...(columns.subject ? [columns.subject] : [])]);
  return records.map(({ line, cell }) => ({
    line,
    file: cell(columns.file),
    label: cell(columns.label),
    subject: columns.subject ? cell(columns.subject) : '',
  }));
}

/** Every .nii / .nii.gz under `root`, depth first in byte order (the same on every machine), as paths relative to it. */
async function walk(root: string, report: ListingReport): Promise<string[]> {
  const found: string[] = [];
  const visit = async (relative: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(path.join(root, relative), { withFileTypes: true });
    } catch (error) {
      if (relative === '') throw error;
      return report.problem(path.join(root, relative), `folder not read: ${fsProblem(error)}`);
    }
    for (const entry of entries.sort((a, b) => compareNames(a.name, b.name))) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(child);
      else if (!isNiftiName(entry.name)) report.ignoredFiles++;
      else if (found.length >= MAX_VOLUMES) throw new Error(`${root} holds more than ${MAX_VOLUMES} volumes`);
      else found.push(child);
    }
  };
  await visit('');
  return found;
}

/** A folder's volumes, labelled by the rows of `labelsCsv` whose file column names them relative to the folder. */
export async function listFolder(root: string, labelsCsv: string, columns: CsvColumns, report: ListingReport): Promise<ListedVolume[]> {
  const stat = await fsp.stat(root).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? `folder ${root} does not exist` : `cannot open ${root}: ${fsProblem(error)}`);
  });
  if (!stat.isDirectory()) throw new Error(`${root} is not a folder (a CSV set ends in .csv)`);
  const rows = new Map<string, CsvRow>();
  for (const row of await readCsv(labelsCsv, columns)) rows.set(path.posix.normalize(row.file.replaceAll('\\', '/')), row);
  const volumes: ListedVolume[] = [];
  const walked = await walk(root, report);
  for (const relative of walked) {
    const row = rows.get(relative);
    const file = path.join(root, relative);
    if (!row) report.problem(file, `no row in ${labelsCsv}: not used`, 'unused');
    else if (labelled(row, file, columns, report)) volumes.push({ path: file, label: row.label, subject: row.subject || file });
  }
  const present = new Set(walked);
  for (const [relative, row] of rows)
    if (!present.has(relative)) report.problem(`${labelsCsv} line ${row.line}`, `${relative} is not a .nii / .nii.gz file under ${root}`);
  return volumes;
}

/** A CSV set: one row per volume, its file relative to the CSV's folder. */
export async function listCsv(csv: string, columns: CsvColumns, report: ListingReport): Promise<ListedVolume[]> {
  const base = path.dirname(csv);
  const volumes: ListedVolume[] = [];
  for (const row of await readCsv(csv, columns)) {
    const where = `${csv} line ${row.line}`;
    if (!row.file) report.problem(where, 'empty file');
    else if (labelled(row, where, columns, report)) {
      const file = path.resolve(base, row.file);
      volumes.push({ path: file, label: row.label, subject: row.subject || file });
    }
  }
  return volumes;
}

function labelled(row: CsvRow, where: string, columns: CsvColumns, report: ListingReport): boolean {
  if (!row.label) report.problem(where, 'no label: not used', 'unused');
  else if (columns.subject && !row.subject)
    report.problem(where, `no ${columns.subject}: a volume without a subject cannot be split by subject`);
  else return true;
  return false;
}

/** Each listed volume's header, read a few at a time; an unreadable one is reported with its reason and left out. */
export async function readHeaders(listed: ListedVolume[], limits: NiftiLimits, report: ListingReport): Promise<Volume[]> {
  const read: (Volume | null)[] = new Array(listed.length).fill(null);
  let next = 0;
  const lane = async () => {
    while (next < listed.length) {
      const i = next++;
      const volume = listed[i]!;
      try {
        read[i] = { ...volume, ...(await readNiftiHeader(volume.path, limits)) };
      } catch (error) {
        const { code } = error as NodeJS.ErrnoException;
        report.problem(volume.path, code ? fsProblem(error) : ((error as { reason?: string }).reason ?? (error as Error).message));
      }
    }
  };
  await Promise.all(Array.from({ length: HEADER_READS }, lane));
  return read.filter((v) => v !== null);
}
