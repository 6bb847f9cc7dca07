// Runs anywhere in main: a labels CSV keyed by a DICOM identifier, read into salted hashes so no key is kept or echoed in the clear.
import { readCsvRecords } from './csv-records.js';
import type { PhiHasher } from './phi-hash.js';

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
  const records = await readCsvRecords(file, [keyColumn, labelColumn], 'labels file');
  const rows = records.map(({ line, cell }) => ({ line, key: cell(keyColumn), label: cell(labelColumn) }));
  return new DicomLabels(file, rows, hasher);
}
