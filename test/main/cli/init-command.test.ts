// Tests (Node, real folders and decode threads): `tributary init <folder>` in-process: recognise, scan, write party.yaml, refuse to overwrite.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureConsole } from './console-capture.js';
import { main } from '../../../main/cli/index.js';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { grayPng, tempDir } from '../../fixtures/corpus.js';
import { makeFixtureTree } from '../data/dicom-fixture-tree.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../../assets/fashion-mnist-sample');
const { spies, printed, complained } = captureConsole({ stderr: true });

async function fashionCopy(): Promise<string> {
  const dir = path.join(await tempDir(), 'fashion');
  await fsp.cp(SAMPLE, dir, { recursive: true });
  return dir;
}

describe('tributary init', () => {
  it('recognises the Fashion-MNIST sample as ImageFolder, prints the scan, writes a commented party.yaml that loads', async () => {
    const dir = await fashionCopy();
    expect(await main(['init', dir])).toBe(0);
    const out = printed();
    expect(out).toContain(`${dir}: ImageFolder, because train and test each hold one sub-folder of images per class (10 classes`);
    expect(out).toContain('  not CsvManifest: no CSV at the top of the folder lists image files that exist with a label');
    expect(out).toMatch(/train: 1000 samples, 1000 readable, 0 unreadable; the model sees 28x28x1/);
    expect(out).toMatch(/test: 200 samples, 200 readable/);
    expect(out).toContain(`wrote ${path.join(dir, 'party.yaml')}`);
    const text = await fsp.readFile(path.join(dir, 'party.yaml'), 'utf8');
    expect(text).toContain('    # train: folder with one sub-folder of images per class\n    train: train\n');
    expect(text).toContain('    # color_mode: grayscale: one channel; rgb: three\n    color_mode: grayscale\n');
    const { config } = await loadPartyConfig(path.join(dir, 'party.yaml'));
    expect(config.data).toMatchObject({ name: 'ImageFolder', info: { train: 'train', test: 'test', image_size: [28, 28] } });
    expect((config.data.info.class_names as string[]).length).toBe(10);
    expect((await fsp.readdir(dir)).filter((name) => name.includes('party.yaml.'))).toEqual([]); // no temp file left
  });

  it('never overwrites party.yaml without --force (checked before the scan), and --force replaces it', async () => {
    const dir = await fashionCopy();
    const file = path.join(dir, 'party.yaml');
    await fsp.writeFile(file, '# mine\n');
    expect(await main(['init', dir])).toBe(2);
    expect(complained()).toBe(`tributary init: ${file} exists: not overwritten (--force replaces it, --out writes elsewhere)`);
    expect(printed()).not.toContain('samples');
    expect(await fsp.readFile(file, 'utf8')).toBe('# mine\n');
    expect(await main(['init', dir, '--force'])).toBe(0);
    expect(await fsp.readFile(file, 'utf8')).toContain('name: ImageFolder');
  });

  it('--out elsewhere: the paths in it are relative to that file and load to the same folders', async () => {
    const dir = await fashionCopy();
    const out = path.join(path.dirname(dir), 'configs', 'site.yaml');
    await fsp.mkdir(path.dirname(out));
    expect(await main(['init', dir, '--out', out])).toBe(0);
    expect(printed()).toContain(`wrote ${out} (paths in it are relative to ${path.dirname(out)})`);
    const loaded = await loadPartyConfig(out);
    expect(path.resolve(loaded.baseDir, loaded.config.data.info.train as string)).toBe(path.join(dir, 'train'));
    expect(existsSync(path.join(dir, 'party.yaml'))).toBe(false);
  });

  it('a CSV manifest', async () => {
    const dir = await tempDir();
    const rows = ['path,label'];
    for (let i = 0; i < 8; i++) {
      await fsp.writeFile(path.join(dir, `${i}.png`), grayPng(8, 8, i));
      rows.push(`${i}.png,${i < 5 ? 'a' : 'b'}`);
    }
    await fsp.writeFile(path.join(dir, 'manifest.csv'), rows.join('\n'));
    expect(await main(['init', dir])).toBe(0);
    expect(printed()).toContain(`${dir}: CsvManifest, because manifest.csv lists image files (column path) with a label (column label)`);
    expect(printed()).toMatch(/train: 8 samples, 8 readable, 0 unreadable; the model sees 8x8x3[\s\S]*a +5\n[\s\S]*b +3/);
    expect((await loadPartyConfig(path.join(dir, 'party.yaml'))).config.data.info).toMatchObject({ train: 'manifest.csv' });
  });

  it('a DICOM export with its labels CSV: Dicom, scanned by patient', async () => {
    const tree = makeFixtureTree(await tempDir('tributary-dicom-tree-'));
    expect(await main(['init', tree.dir])).toBe(0);
    expect(printed()).toContain(`${tree.dir}: Dicom, because `);
    expect(printed()).toMatch(/DICOM: patients \d+, studies \d+; per class: abnormal/);
    const { config } = await loadPartyConfig(path.join(tree.dir, 'party.yaml'));
    expect(config.data).toMatchObject({ name: 'Dicom', info: { path: 'tree', labels: 'labels-study.csv' } });
  });

  it('an empty folder, a folder that does not exist, no folder, and a folder nothing reads: clear errors, exit 2, nothing written', async () => {
    const dir = await tempDir();
    await fsp.mkdir(path.join(dir, 'empty'));
    expect(await main(['init', path.join(dir, 'empty')])).toBe(2);
    expect(complained()).toBe(`tributary init: folder ${path.join(dir, 'empty')} is empty: point at the folder that holds the data`);
    spies.error.mockClear();
    expect(await main(['init', path.join(dir, 'missing')])).toBe(2);
    expect(complained()).toBe(`tributary init: folder ${path.join(dir, 'missing')} does not exist`);
    spies.error.mockClear();
    expect(await main(['init'])).toBe(2);
    expect(complained()).toBe('tributary init: name one folder: tributary init <folder>');
    spies.error.mockClear();
    await fsp.writeFile(path.join(dir, 'notes.txt'), 'hello');
    expect(await main(['init', dir])).toBe(2);
    expect(complained()).toMatch(new RegExp(`^tributary init: no built-in handler recognises ${dir} \\(looked at .*\\):\\n  Dicom: `));
    expect(await fsp.readdir(dir)).toEqual(['empty', 'notes.txt']);
  });
});
