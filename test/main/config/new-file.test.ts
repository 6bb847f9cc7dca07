// Tests (Node, real files): writeNewText: a new file whole, never over an existing one unless asked, no temp file left behind.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileExistsError, writeNewText } from '../../../main/config/new-file.js';
import { tempDir } from '../../fixtures/corpus.js';

describe('writeNewText', () => {
  it('writes a new file, refuses an existing one (kept as it was), replaces it when asked', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'party.yaml');
    expect(await writeNewText(file, 'one\n')).toBe(file);
    await expect(writeNewText(file, 'two\n')).rejects.toThrow(new FileExistsError(`${file} exists: not overwritten`));
    expect(await fsp.readFile(file, 'utf8')).toBe('one\n');
    await writeNewText(file, 'three\n', true);
    expect(await fsp.readFile(file, 'utf8')).toBe('three\n');
    expect(await fsp.readdir(dir)).toEqual(['party.yaml']);
  });

  it('a folder that does not exist: an error naming the file, nothing left behind', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'no', 'party.yaml');
    await expect(writeNewText(file, 'x')).rejects.toThrow(`cannot write ${file}: no such file`);
    expect(await fsp.readdir(dir)).toEqual([]);
  });
});
