// Tests (Node, real folders): the layout recogniser: each built-in's layout, the choice and what else was considered, bounds, and clear errors.
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recogniseLayout, LayoutError } from '../../../../main/data/layout/recognise.js';
import { cleanTree, grayPng, tempDir } from '../../../fixtures/corpus.js';
import { makeFixtureTree } from '../dicom-fixture-tree.js';

const CLASSES = ['cat', 'dog', 'emu'];

function idxFile(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

describe('recogniseLayout', () => {
  it('ImageFolder with train and test folders: class names, image size and color mode from the first image', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), CLASSES, 3, 12);
    await cleanTree(path.join(dir, 'test'), CLASSES, 2, 12);
    const proposal = await recogniseLayout(dir);
    expect(proposal.data).toEqual({
      name: 'ImageFolder',
      info: {
        train: path.join(dir, 'train'),
        test: path.join(dir, 'test'),
        class_names: CLASSES,
        image_size: [12, 12],
        color_mode: 'grayscale',
      },
    });
    expect(proposal.why).toMatch(/train and test each hold one sub-folder of images per class \(3 classes: cat, dog, emu\)/);
    expect(proposal.considered.map((c) => c.handler)).toEqual(['Dicom', 'Nifti', 'Idx', 'CsvManifest']);
    expect(proposal.sampled).toMatchObject({ partial: false, folders: 9 });
  });

  it('ImageFolder with the class folders at the top: a train split only, and it says so', async () => {
    const dir = await tempDir();
    await cleanTree(dir, CLASSES, 2);
    const { data, why } = await recogniseLayout(dir);
    expect(data.info).toMatchObject({ train: dir, class_names: CLASSES });
    expect(data.info.test).toBeUndefined();
    expect(why).toContain('no test folder was found, so there is only a train split');
  });

  it('reads a bounded sample: a large class folder is judged by its first entries, and class_names is left out when cut short', async () => {
    const dir = await tempDir();
    await cleanTree(dir, ['a', 'b', 'c', 'd', 'e'], 30);
    const limits = { perFolder: 4, folders: 3, depth: 8 };
    const proposal = await recogniseLayout(dir, limits);
    expect(proposal.data.name).toBe('ImageFolder');
    expect(proposal.data.info.class_names).toBeUndefined(); // 5 class folders, 4 read: listing them would drop one
    expect(proposal.sampled).toEqual({ folders: 3, entries: 12, partial: true, limits });
  });

  it('a CSV manifest of images with its own column names, with train and test CSVs', async () => {
    const dir = await tempDir();
    await fsp.mkdir(path.join(dir, 'img'));
    const rows = ['file_name,diagnosis'];
    for (let i = 0; i < 6; i++) {
      await fsp.writeFile(path.join(dir, 'img', `${i}.png`), grayPng(8, 8, i));
      rows.push(`img/${i}.png,${i % 2 ? 'benign' : 'malignant'}`);
    }
    await fsp.writeFile(path.join(dir, 'train.csv'), rows.slice(0, 5).join('\n'));
    await fsp.writeFile(path.join(dir, 'test.csv'), [rows[0], ...rows.slice(5)].join('\n'));
    const proposal = await recogniseLayout(dir);
    expect(proposal.data).toEqual({
      name: 'CsvManifest',
      info: { train: path.join(dir, 'train.csv'), test: path.join(dir, 'test.csv'), path_column: 'file_name', label_column: 'diagnosis' },
    });
    // The images also sit in a folder, but one folder of images is not classes.
    expect(proposal.considered.find((c) => c.handler === 'ImageFolder')?.why).toMatch(/no two or more sub-folders holding images/);
  });

  it('a CSV whose files do not exist is not a manifest', async () => {
    const dir = await tempDir();
    await fsp.writeFile(path.join(dir, 'list.csv'), 'path,label\nmissing/0.png,a\n');
    await expect(recogniseLayout(dir)).rejects.toThrow(/CsvManifest: no CSV at the top of the folder lists image files that exist/);
  });

  it('IDX files by name and header, raw or gzipped', async () => {
    const dir = await tempDir();
    await fsp.writeFile(path.join(dir, 'train-images-idx3-ubyte'), idxFile([2, 2, 2], new Uint8Array(8)));
    await fsp.writeFile(path.join(dir, 'train-labels-idx1-ubyte'), idxFile([2], new Uint8Array(2)));
    await fsp.writeFile(path.join(dir, 't10k-images-idx3-ubyte.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    await fsp.writeFile(path.join(dir, 't10k-labels-idx1-ubyte.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]));
    const { data, why } = await recogniseLayout(dir);
    expect(data).toEqual({
      name: 'Idx',
      info: {
        train_images: path.join(dir, 'train-images-idx3-ubyte'),
        train_labels: path.join(dir, 'train-labels-idx1-ubyte'),
        test_images: path.join(dir, 't10k-images-idx3-ubyte.gz'),
        test_labels: path.join(dir, 't10k-labels-idx1-ubyte.gz'),
      },
    });
    expect(why).toMatch(/^2 pairs of IDX images and labels files/);
  });

  it('IDX-named files that are not IDX are refused by their header', async () => {
    const dir = await tempDir();
    await fsp.writeFile(path.join(dir, 'train-images-idx3-ubyte'), 'not idx at all');
    await fsp.writeFile(path.join(dir, 'train-labels-idx1-ubyte'), 'nor this');
    await expect(recogniseLayout(dir)).rejects.toThrow(/Idx: IDX-named files, but no images and labels pair that reads as IDX/);
  });

  it('a DICOM tree by content (files without extension), with the labels CSV keyed by StudyInstanceUID first', async () => {
    const tree = makeFixtureTree(await tempDir('tributary-dicom-tree-'));
    const proposal = await recogniseLayout(tree.dir);
    expect(proposal.data).toEqual({ name: 'Dicom', info: { path: tree.root, labels: path.join(tree.dir, 'labels-study.csv') } });
    expect(proposal.why).toMatch(
      /^\d+ of \d+ files probed are DICOM \('DICM' at byte 128\); labels-study.csv labels them by StudyInstanceUID/,
    );
    expect(proposal.why).toContain('other labels CSVs: labels-patient.csv, labels-series.csv, labels-sop.csv');
  });

  it('DICOM files without a labels CSV: a clear error saying what the Dicom handler needs', async () => {
    const tree = makeFixtureTree(await tempDir('tributary-dicom-tree-'));
    await expect(recogniseLayout(tree.root)).rejects.toThrow(
      /Dicom: \d+ of \d+ files probed are DICOM .*, but no labels CSV at the top of the folder/,
    );
  });

  it('a NIfTI study with train and test CSVs and a subject column', async () => {
    const dir = path.join(await tempDir(), 'study');
    execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../../fixtures/nifti-set.py'), dir], {
      stdio: 'pipe',
      timeout: 300_000,
    });
    const { data, why } = await recogniseLayout(dir);
    expect(data).toEqual({
      name: 'Nifti',
      info: { train: path.join(dir, 'train.csv'), test: path.join(dir, 'test.csv'), subject_column: 'patient' },
    });
    expect(why).toMatch(/NIfTI volumes in the sample; train.csv, test.csv list them with a label, kept together by subject/);
  });

  it('a folder that does not exist, a file, an empty folder, and one nothing reads: errors naming the folder', async () => {
    const dir = await tempDir();
    await expect(recogniseLayout(path.join(dir, 'nope'))).rejects.toThrow(
      new LayoutError(`folder ${path.join(dir, 'nope')} does not exist`),
    );
    await fsp.writeFile(path.join(dir, 'notes.txt'), 'hello');
    await expect(recogniseLayout(path.join(dir, 'notes.txt'))).rejects.toThrow(`${path.join(dir, 'notes.txt')} is not a folder`);
    await fsp.mkdir(path.join(dir, 'empty'));
    await expect(recogniseLayout(path.join(dir, 'empty'))).rejects.toThrow(`folder ${path.join(dir, 'empty')} is empty`);
    const error = await recogniseLayout(dir).catch((e: Error) => e);
    expect(error).toBeInstanceOf(LayoutError);
    expect((error as Error).message.split('\n')).toEqual([
      `no built-in handler recognises ${dir} (looked at 2 entries in 2 folders, all of them):`,
      "  Dicom: no DICOM file ('DICM' at byte 128) among 0 files probed",
      '  Nifti: no NIfTI volumes (.nii, .nii.gz)',
      '  Idx: no IDX files (*-idx3-ubyte)',
      '  CsvManifest: no CSV at the top of the folder lists image files that exist with a label',
      '  ImageFolder: no two or more sub-folders holding images (PNG, JPEG, WebP, TIFF), one per class',
    ]);
  });
});
