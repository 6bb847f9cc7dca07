// Runs anywhere in main: the header and first rows of a CSV (its first 64 KiB only), and which columns look like files, labels and subjects.
import { promises as fsp } from 'node:fs';
import { parse } from 'csv-parse/sync';

/** Enough for a header and dozens of rows, and a bound on a CSV of millions. */
const HEAD_BYTES = 64 * 1024;
const ROWS = 32;

export interface CsvHead {
  file: string;
  columns: string[];
  rows: Record<string, string>[];
}

const FILE_COLUMNS = ['path', 'file', 'filename', 'file_name', 'image', 'image_path', 'filepath', 'volume'];
const LABEL_COLUMNS = ['label', 'class', 'target', 'diagnosis', 'category', 'y'];
const SUBJECT_COLUMNS = ['subject', 'subject_id', 'patient', 'patient_id', 'participant_id'];

/** The head of `file`, or null when it is not a CSV with a header and at least one row. */
export async function readCsvHead(file: string): Promise<CsvHead | null> {
  const handle = await fsp.open(file, 'r').catch(() => null);
  if (!handle) return null;
  let text: string;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    text = buffer.subarray(0, bytesRead).toString('utf8');
    if (bytesRead === HEAD_BYTES) text = text.slice(0, text.lastIndexOf('\n') + 1); // whole lines only
  } finally {
    await handle.close();
  }
  try {
    const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true, to_line: ROWS + 1 }) as Record<
      string,
      string
    >[];
    return rows.length ? { file, columns: Object.keys(rows[0]!), rows } : null;
  } catch {
    return null;
  }
}

/** The first column, in the order of `wanted`, that the header has (case-insensitive), as the header spells it. */
export function columnLike(head: CsvHead, wanted: readonly string[]): string | undefined {
  for (const name of wanted) {
    const found = head.columns.find((column) => column.toLowerCase() === name);
    if (found !== undefined) return found;
  }
  return undefined;
}

export const fileColumn = (head: CsvHead) => columnLike(head, FILE_COLUMNS);
export const labelColumn = (head: CsvHead) => columnLike(head, LABEL_COLUMNS);
export const subjectColumn = (head: CsvHead) => columnLike(head, SUBJECT_COLUMNS);
