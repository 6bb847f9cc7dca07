// Tests (Node, real files): the one CSV reader of manifests and labels sheets refuses an oversized file unread and never echoes a field.
import { mkdtemp, rm, truncate, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CSV_BYTES, readCsvRecords } from '../../../main/data/sources/csv-records.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-csv-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('readCsvRecords', () => {
  it('gives each row with the line it ends on, cells trimmed, a BOM and blank lines skipped', async () => {
    const file = path.join(dir, 'rows.csv');
    await writeFile(file, '\ufeffpath, label\n\na.png, cat\n"b\nc.png",dog\n');
    const rows = await readCsvRecords(file, ['path', 'label']);
    expect(rows.map(({ line, cell }) => [line, cell('path'), cell('label'), cell('absent')])).toEqual([
      [3, 'a.png', 'cat', ''],
      [5, 'b\nc.png', 'dog', ''],
    ]);
  });

  it('refuses a file over the limit before reading it, and a folder', async () => {
    const big = path.join(dir, 'big.csv');
    await writeFile(big, 'path,label\n');
    await truncate(big, MAX_CSV_BYTES + 1); // sparse: nothing is written, and reading it would take 256 MiB
    await expect(readCsvRecords(big, ['path'], 'manifest')).rejects.toThrow(
      `${big} is ${MAX_CSV_BYTES + 1} bytes, over the ${MAX_CSV_BYTES}-byte limit of a manifest`,
    );
    await mkdir(path.join(dir, 'folder.csv'));
    await expect(readCsvRecords(path.join(dir, 'folder.csv'), [])).rejects.toThrow(/cannot read .*folder\.csv: it is a folder, not a file/);
    await expect(readCsvRecords(path.join(dir, 'none.csv'), [], 'labels file')).rejects.toThrow(/^labels file .*none\.csv does not exist$/);
  });

  it('names a missing column, and a parse error by code and line without quoting the field', async () => {
    const file = path.join(dir, 'cols.csv');
    await writeFile(file, 'PatientID,label\nP-0042,1\n');
    await expect(readCsvRecords(file, ['PatientID', 'StudyInstanceUID'])).rejects.toThrow(
      `${file}: no column "StudyInstanceUID" (columns are: PatientID, label)`,
    );
    const broken = path.join(dir, 'broken.csv');
    await writeFile(broken, 'PatientID,label\nDOE^JANE "X",1\n');
    const error = await readCsvRecords(broken, ['PatientID']).catch((e: Error) => e);
    expect((error as Error).message).toBe(`${broken}: not a readable CSV (INVALID_OPENING_QUOTE at line 2)`);
    expect(String((error as Error).cause ?? '')).not.toContain('DOE');
  });

  it('does not show the first row of a file without a header row: it is a patient’s, not column names', async () => {
    const file = path.join(dir, 'headerless.csv');
    await writeFile(file, 'DOE^JANE,P-0042,1\nROE^RICH,P-0043,0\n');
    const error = await readCsvRecords(file, ['PatientID', 'label']).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      `${file}: no column "PatientID" (none of "PatientID", "label" is in its first row: has it a header row? ` +
        'The row is not shown: without a header it is a patient’s row)',
    );
    expect((error as Error).message).not.toMatch(/DOE|P-0042/);
  });
});
