// Tests (Node, real files, the real built-ins through the loader): every built-in error that an `info` value causes is placed on that key's line.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../main/config/errors.js';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { closeSplits } from '../../../main/data/data-handler.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import { openData } from '../../../main/data/handler-loader.js';
import { cleanTree, tempDir } from '../../fixtures/corpus.js';

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await closeSplits(splits);
});

/** `dir/party.yaml` holding a built-in's `data:` section, `info` given line by line (so line numbers are known). */
async function failure(dir: string, name: string, info: string[]): Promise<ConfigError & { file: string }> {
  const file = path.join(dir, 'party.yaml');
  await writeFile(file, ['data:', `  name: ${name}`, '  info:', ...info.map((line) => `    ${line}`), ''].join('\n'));
  const result = await openData(await loadPartyConfig(file)).then(
    (data) => {
      opened.push(data.splits);
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(result).toBeInstanceOf(ConfigError);
  return Object.assign(result as ConfigError, { file });
}

/** The message of an error on `key` at `line`: what the operator reads. */
function on(error: ConfigError & { file: string }, key: string, line: number, handler: string): string {
  expect(error).toMatchObject({ key, line });
  const prefix = `${error.file}:${line}: ${key}: built-in handler ${handler} failed in getData(): `;
  expect(error.message.startsWith(prefix)).toBe(true);
  return error.message.slice(prefix.length);
}

function idxFile(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

describe('ImageFolder', () => {
  it('a folder of folders without images (train: /etc) is reported on train, with or without image_size', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'etc', 'ssh'), { recursive: true });
    await writeFile(path.join(dir, 'etc', 'ssh', 'sshd_config'), 'Port 22\n');
    await writeFile(path.join(dir, 'etc', 'hosts'), '127.0.0.1 localhost\n');
    const root = path.join(dir, 'etc');
    const problem = `${root} has no images to read (2 files ignored as not images by name)`;
    expect(on(await failure(dir, 'ImageFolder', ['train: etc']), 'data.info.train', 4, 'ImageFolder')).toBe(problem);
    expect(on(await failure(dir, 'ImageFolder', ['train: etc', 'image_size: [8, 8]']), 'data.info.train', 4, 'ImageFolder')).toBe(problem);
  });

  it('an empty test split is reported on test, and a root without class folders on the first split named', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a', 'b'], 1);
    await mkdir(path.join(dir, 'test', 'a'), { recursive: true });
    const empty = await failure(dir, 'ImageFolder', ['train: train', 'test: test']);
    expect(on(empty, 'data.info.test', 5, 'ImageFolder')).toBe(`${path.join(dir, 'test')} has no images to read`);
    await mkdir(path.join(dir, 'flat'));
    await writeFile(path.join(dir, 'flat', 'notes.txt'), '');
    const flat = await failure(dir, 'ImageFolder', ['train: flat', 'color_mode: grayscale']);
    expect(on(flat, 'data.info.train', 4, 'ImageFolder')).toBe(`no class folders under ${path.join(dir, 'flat')}`);
  });

  it('images of which none decode, with no image_size to fall back on, are reported on their split', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'train', 'a'), { recursive: true });
    await writeFile(path.join(dir, 'train', 'a', 'x.png'), 'Patient record, not an image');
    const error = await failure(dir, 'ImageFolder', ['batch_size: 4', 'train: train']);
    const file = path.join(dir, 'train', 'a', 'x.png');
    expect(on(error, 'data.info.train', 5, 'ImageFolder')).toBe(
      `none of the first 1 images decode, so image_size cannot be inferred (first: ${file}: not an image: starts with 'Patient ')`,
    );
  });

  it('an unreadable entry under on_bad_file: fail is reported on its split', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 1);
    await symlink(path.join(dir, 'gone.png'), path.join(dir, 'train', 'a', 'link.png'));
    const error = await failure(dir, 'ImageFolder', ['train: train', 'on_bad_file: fail']);
    expect(on(error, 'data.info.train', 4, 'ImageFolder')).toBe(
      `${path.join(dir, 'train', 'a', 'link.png')}: broken symlink (ENOENT) (1 such in train; on_bad_file is "fail")`,
    );
  });

  it('a cache_dir that cannot be a folder is reported on cache_dir', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 1);
    await writeFile(path.join(dir, 'a-file'), '');
    const error = await failure(dir, 'ImageFolder', ['train: train', 'cache: true', 'cache_dir: a-file']);
    expect(on(error, 'data.info.cache_dir', 6, 'ImageFolder')).toMatch(
      new RegExp(`^cannot open the decoded cache in ${path.join(dir, 'a-file')}: EEXIST`),
    );
  });

  it('a normalize that overflows float32 is reported on normalize', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 1);
    const error = await failure(dir, 'ImageFolder', ['train: train', 'color_mode: grayscale', 'normalize: { mean: [0.5], std: [1e-45] }']);
    expect(on(error, 'data.info.normalize', 6, 'ImageFolder')).toBe(
      'pixel value 0 of channel 0 becomes (0 / 255 - 0.5) / 1e-45 = -Infinity as a float32; every model input must be finite',
    );
  });
});

describe('CsvManifest', () => {
  it('manifests without labelled rows, and one whose rows are all unusable, are reported on their split', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'train.csv'), 'path,label\nx.png,\n');
    const unlabelled = await failure(dir, 'CsvManifest', ['train: train.csv']);
    expect(on(unlabelled, 'data.info.train', 4, 'CsvManifest')).toBe(`no labelled rows in ${path.join(dir, 'train.csv')}`);
    await writeFile(path.join(dir, 'test.csv'), 'path,label\ny.png,zebra\n');
    const unusable = await failure(dir, 'CsvManifest', ['class_names: [cat]', 'test: test.csv']);
    const csv = path.join(dir, 'test.csv');
    expect(on(unusable, 'data.info.test', 5, 'CsvManifest')).toBe(
      `${csv} has no images to read (1 entries not used, the first ${csv} line 2: label "zebra" is not one of class_names: row not used)`,
    );
  });
});

describe('Idx', () => {
  it('a cache_dir that cannot be written is reported on cache_dir, an empty images file on its key', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'images.gz'), gzipSync(idxFile([1, 1, 1], Uint8Array.of(7))));
    await writeFile(path.join(dir, 'labels'), idxFile([1], Uint8Array.of(0)));
    await writeFile(path.join(dir, 'a-file'), '');
    const cache = await failure(dir, 'Idx', ['train_images: images.gz', 'train_labels: labels', 'cache_dir: a-file']);
    expect(on(cache, 'data.info.cache_dir', 6, 'Idx')).toMatch(
      new RegExp(`^cannot write the inflated \\.gz files to ${path.join(dir, 'a-file')}: EEXIST`),
    );

    await writeFile(path.join(dir, 'none'), idxFile([0, 2, 2], new Uint8Array()));
    await writeFile(path.join(dir, 'no-labels'), idxFile([0], new Uint8Array()));
    const empty = await failure(dir, 'Idx', ['train_labels: no-labels', 'train_images: none']);
    expect(on(empty, 'data.info.train_images', 5, 'Idx')).toBe(`${path.join(dir, 'none')} holds no images (0 records)`);
  });
});

describe('Dicom', () => {
  it('a folder without DICOM images, a missing labels file or column and an index_dir that is a file are each on their key', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'export'));
    await writeFile(path.join(dir, 'export', 'README.txt'), 'exported by the PACS\n');
    await writeFile(path.join(dir, 'labels.csv'), 'PatientID,label\nP1,a\n');
    await writeFile(path.join(dir, 'not-a-folder'), '');
    const empty = await failure(dir, 'Dicom', [
      'path: export',
      'labels: labels.csv',
      'label_key: PatientID',
      `index_dir: ${path.join(dir, 'index')}`,
    ]);
    expect(on(empty, 'data.info.path', 4, 'Dicom')).toBe(
      'no labelled images to read in export: 1 files, 0 DICOM images, 0 non-image objects, 0 unreadable, 1 not DICOM ' +
        '(check the filters, `labels` and `label_key`)',
    );
    const column = await failure(dir, 'Dicom', ['path: export', 'labels: labels.csv', `index_dir: ${path.join(dir, 'index')}`]);
    expect(on(column, 'data.info.labels', 5, 'Dicom')).toBe(
      `${path.join(dir, 'labels.csv')}: no column "StudyInstanceUID" (columns are: PatientID, label)`,
    );
    const missing = await failure(dir, 'Dicom', [
      'path: export',
      'labels: missing.csv',
      'label_key: PatientID',
      `index_dir: ${path.join(dir, 'index')}`,
    ]);
    expect(on(missing, 'data.info.labels', 5, 'Dicom')).toBe(`labels file ${path.join(dir, 'missing.csv')} does not exist`);
    const file = await failure(dir, 'Dicom', ['path: export', 'labels: labels.csv', 'label_key: PatientID', 'index_dir: not-a-folder']);
    expect(on(file, 'data.info.index_dir', 7, 'Dicom')).toMatch(/^cannot keep the header index and its hashing salt in .*not-a-folder: /);
  });
});
