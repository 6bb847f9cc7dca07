// Runs anywhere in main: reads a CSV manifest of (image path, label) rows into a FileList, with line numbers in every problem.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { FileList } from './file-list.js';
import { ListingReport } from './problems.js';
import { fsProblem } from '../../config/fs-problem.js';

export interface ManifestRow {
  line: number;
  file: string;
  label: string;
}

export interface ManifestColumns {
  path: string;
  label: string;
}

/** The rows of a manifest; a missing column or an unparsable file is an error naming the file. */
export async function readManifest(csvFile: string, columns: ManifestColumns): Promise<ManifestRow[]> {
  const text = await fsp.readFile(csvFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? `manifest ${csvFile} does not exist` : `cannot read ${csvFile}: ${fsProblem(error)}`);
  });
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (error) {
    throw new Error(`${csvFile}: ${(error as Error).message}`, { cause: error });
  }
  const header = Object.keys(records[0]?.record ?? {});
  for (const column of [columns.path, columns.label]) {
    if (records.length > 0 && !header.includes(column)) {
      throw new Error(`${csvFile}: no column "${column}" (columns are: ${header.join(', ')})`);
    }
  }
  return records.map(({ record, info }) => ({ line: info.lines, file: record[columns.path] ?? '', label: record[columns.label] ?? '' }));
}

/** Rows become files relative to the CSV's folder; rows without a path or with an unknown label are reported. */
export function manifestFiles(
  csvFile: string,
  rows: ManifestRow[],
  classNames: readonly string[],
): { files: FileList; report: ListingReport } {
  const files = new FileList();
  const report = new ListingReport();
  const base = path.dirname(csvFile);
  const labelOf = new Map(classNames.map((name, i) => [name, i]));
  for (const row of rows) {
    const where = `${csvFile} line ${row.line}`;
    const label = labelOf.get(row.label);
    if (!row.file) report.problem(where, 'empty path');
    else if (label === undefined) report.problem(where, `label "${row.label}" is not one of class_names: row not used`, 'unused');
    else files.addPath(base, row.file, label);
  }
  return { files: files.seal(), report };
}
