// Runs anywhere in main: reads a CSV manifest of (image path, label) rows into a FileList, with line numbers in every problem.
import path from 'node:path';
import { FileList } from './file-list.js';
import { ListingReport } from './problems.js';
import { readCsvRecords } from './csv-records.js';

export interface ManifestRow {
  line: number;
  file: string;
  label: string;
}

export interface ManifestColumns {
  path: string;
  label: string;
}

/** The rows of a manifest; a missing column or an unreadable or oversized file is an error naming the file. */
export async function readManifest(csvFile: string, columns: ManifestColumns): Promise<ManifestRow[]> {
  const records = await readCsvRecords(csvFile, [columns.path, columns.label], 'manifest');
  return records.map(({ line, cell }) => ({ line, file: cell(columns.path), label: cell(columns.label) }));
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
