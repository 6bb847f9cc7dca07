// Runs anywhere in main: a labels CSV keyed by a DICOM identifier, read into salted hashes so no key is kept or echoed in the clear.
import { promises as fsp } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { fsProblem } from '../../config/fs-problem.js';
import type { PhiHasher } from './phi-hash.js';

/** A labels file is a spreadsheet export: anything larger is refused before it is read. */
export const MAX_LABELS_BYTES = 256 * 2 ** 20;

export interface LabelRow {
  line: number;
  label: string;
}

/** Labels by the hash of their key. Messages name rows by line number only: the keys are identifiers. */
export class DicomLabels {
  readonly #byKey = new Map<string, LabelRow>();
  readonly #matched = new Set<string>();
  /** Rows with an empty key or label, by line. */
  readonly emptyRows: number[] = [];

  constructor(
    readonly file: string,
    rows: { line: number; key: string; label: string }[],
    hasher: PhiHasher,
  ) {
    for (const { line, key, label } of rows) {
      if (!key || !label) {
        this.emptyRows.push(line);
        continue;
      }
      const hash = hasher.hash(key);
      const first = this.#byKey.get(hash);
      if (first && first.label !== label) throw new Error(`${file}: line ${line} gives the key of line ${first.line} another label`);
      if (!first) this.#byKey.set(hash, { line, label });
    }
  }

  /** Every label in the file, sorted, for class names the config does not list. */
  labels(): string[] {
    return [...new Set([...this.#byKey.values()].map((row) => row.label))].sort();
  }

  /** The row for a hashed key, remembered as used. */
  lookup(hash: string | undefined): LabelRow | undefined {
    if (hash === undefined) return undefined;
    const row = this.#byKey.get(hash);
    if (row) this.#matched.add(hash);
    return row;
  }

  /** Line numbers of rows no image matched, in file order. */
  unmatchedLines(): number[] {
    return [...this.#byKey].filter(([hash]) => !this.#matched.has(hash)).map(([, row]) => row.line);
  }
}

export async function readDicomLabels(file: string, keyColumn: string, labelColumn: string, hasher: PhiHasher): Promise<DicomLabels> {
  const stat = await fsp.stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? `labels file ${file} does not exist` : `cannot read ${file}: ${fsProblem(error)}`);
  });
  if (!stat.isFile()) throw new Error(`${file} is not a file`);
  if (stat.size > MAX_LABELS_BYTES)
    throw new Error(`${file} is ${stat.size} bytes, over the ${MAX_LABELS_BYTES}-byte limit of a labels file`);
  const text = await fsp.readFile(file, 'utf8');
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (error) {
    // csv-parse quotes the offending field in some messages: a key in the clear, so only its position is kept (and no cause).
    const { lines } = error as { lines?: number };
    // eslint-disable-next-line preserve-caught-error -- the cause's message may hold a patient key
    throw new Error(`${file}: not a readable CSV${lines ? ` (at line ${lines})` : ''}`);
  }
  const header = Object.keys(records[0]?.record ?? {});
  for (const column of [keyColumn, labelColumn]) {
    if (!header.includes(column)) throw new Error(`${file}: no column "${column}" (columns are: ${header.join(', ') || 'none'})`);
  }
  const rows = records.map(({ record, info }) => ({ line: info.lines, key: record[keyColumn] ?? '', label: record[labelColumn] ?? '' }));
  return new DicomLabels(file, rows, hasher);
}
