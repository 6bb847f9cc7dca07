// Runs anywhere in main: reads a site's CSV (a manifest, a labels sheet) bounded in size, its rows with their line numbers.
import { promises as fsp } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { fsProblem } from '../../config/fs-problem.js';

/** Larger than any labels sheet or manifest of a million rows with long paths; a bigger file is refused before it is read. */
export const MAX_CSV_BYTES = 256 * 2 ** 20;

export interface CsvRecord {
  /** The line the row ends on, as an editor counts them. */
  line: number;
  /** The row by column name, trimmed; a column the row lacks is ''. */
  cell: (column: string) => string;
}

/**
 * The rows of `file`, which must have every column in `columns` (when it has rows at all). Errors name the file, and
 * a parse error its code and line only: csv-parse quotes the offending field, which may be a patient's identifier.
 */
export async function readCsvRecords(file: string, columns: readonly string[], what = 'CSV file'): Promise<CsvRecord[]> {
  const stat = await fsp.stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? `${what} ${file} does not exist` : `cannot read ${file}: ${fsProblem(error)}`);
  });
  if (!stat.isFile()) throw new Error(`cannot read ${file}: ${stat.isDirectory() ? fsProblem({ code: 'EISDIR' }) : 'not a regular file'}`);
  if (stat.size > MAX_CSV_BYTES) throw new Error(`${file} is ${stat.size} bytes, over the ${MAX_CSV_BYTES}-byte limit of a ${what}`);
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(await fsp.readFile(file, 'utf8'), { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (error) {
    const { code, lines } = error as { code?: string; lines?: number };
    // eslint-disable-next-line preserve-caught-error -- the cause's message may quote a patient's identifier
    throw new Error(`${file}: not a readable CSV (${code ?? 'parse error'}${lines ? ` at line ${lines}` : ''})`);
  }
  const header = Object.keys(records[0]?.record ?? {});
  const missing = records.length > 0 ? columns.find((column) => !header.includes(column)) : undefined;
  if (missing !== undefined) throw new Error(`${file}: no column "${missing}" (${firstRow(header, missing, columns)})`);
  return records.map(({ record, info }) => ({ line: info.lines, cell: (column) => record[column] ?? '' }));
}

/**
 * The first row's cells, for the error about a missing column, only when another named column is among them: then the
 * row is a header. A file without a header row has a patient's row there (an ID, a name), and it is not shown.
 */
function firstRow(header: readonly string[], missing: string, columns: readonly string[]): string {
  if (columns.some((column) => column !== missing && header.includes(column))) return `columns are: ${header.join(', ')}`;
  return (
    `none of ${columns.map((column) => `"${column}"`).join(', ')} is in its first row: has it a header row? ` +
    'The row is not shown: without a header it is a patient’s row'
  );
}
