// Runs anywhere in main: each built-in handler's test of a sampled folder: a match with its `info` filled (absolute paths) and why, or why not.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { DICOM_LABEL_KEYS } from '../../../common/data-config.js';
import type { BuiltinHandlerName } from '../../../common/data-config.js';
import { isDicomFile, isImageName } from '../sources/image-folder-listing.js';
import { isNiftiName } from '../sources/nifti-listing.js';
import { fileColumn, labelColumn, readCsvHead, subjectColumn } from './csv-sniff.js';
import type { CsvHead } from './csv-sniff.js';
import { sampledFiles } from './folder-sample.js';
import type { FolderSample } from './folder-sample.js';

export type Verdict =
  { handler: BuiltinHandlerName; info: Record<string, unknown>; why: string } | { handler: BuiltinHandlerName; miss: string };

/** Files probed for the 'DICM' magic: enough to find a DICOM export among a few stray files, few enough to stay quick. */
const DICOM_PROBES = 48;
/** Rows of a CSV whose files are checked to exist. */
const ROWS_CHECKED = 8;
const NOT_DICOM_NAMES = /\.(csv|tsv|txt|md|json|ya?ml|html?|pdf|xml|nii|gz|png|jpe?g|webp|tiff?|bmp|zip)$/i;

const abs = (sample: FolderSample, rel: string) => path.join(sample.root, rel);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;

/** Image files among a sampled folder's files and its sampled sub-folders' (class folders may nest). */
function imagesUnder(sample: FolderSample, rel: string): number {
  const prefix = rel ? `${rel}/` : '';
  return [...sample.folders.values()]
    .filter((f) => f.path === rel || f.path.startsWith(prefix))
    .reduce((n, f) => n + f.files.filter(isImageName).length, 0);
}

function subFolders(sample: FolderSample, rel: string): string[] {
  return sample.folders.get(rel)?.folders ?? [];
}

const join = (rel: string, name: string) => (rel ? `${rel}/${name}` : name);

/** Class folders of `rel` that hold images (in the sample). */
function classFolders(sample: FolderSample, rel: string): string[] {
  return subFolders(sample, rel).filter((name) => imagesUnder(sample, join(rel, name)) > 0);
}

/** The split folders at the top: train / test by their usual names. */
function splitFolder(sample: FolderSample, names: string[]): string | undefined {
  return subFolders(sample, '').find((name) => names.includes(name.toLowerCase()));
}

export async function imageFolder(sample: FolderSample): Promise<Verdict> {
  const train = splitFolder(sample, ['train', 'training']);
  const test = splitFolder(sample, ['test', 'testing', 'val', 'validation']);
  // Two classes at least: one folder of images is a folder of images, not classes.
  const splits = [train, test].filter((s): s is string => s !== undefined && classFolders(sample, s).length > 1);
  const roots = splits.length ? splits : classFolders(sample, '').length > 1 ? [''] : [];
  if (!roots.length)
    return { handler: 'ImageFolder', miss: 'no two or more sub-folders holding images (PNG, JPEG, WebP, TIFF), one per class' };
  const classes = classFolders(sample, roots[0]!);
  const info: Record<string, unknown> = splits.length ? {} : { train: sample.root };
  if (train && splits.includes(train)) info.train = abs(sample, train);
  if (test && splits.includes(test)) info.test = abs(sample, test);
  const complete = !sample.folders.get(roots[0]!)?.truncated;
  if (complete) info.class_names = classes;
  const first = firstImage(sample, roots[0]!);
  const shape = first ? await imageShape(abs(sample, first)) : null;
  if (shape) Object.assign(info, { image_size: [shape.height, shape.width], color_mode: shape.channels <= 2 ? 'grayscale' : 'rgb' });
  const where = splits.length ? `${splits.join(' and ')} each hold` : 'the folder holds';
  return {
    handler: 'ImageFolder',
    info,
    why:
      `${where} one sub-folder of images per class (${plural(classes.length, 'class')}${complete ? '' : ' or more'}: ` +
      `${classes.slice(0, 6).join(', ')}${classes.length > 6 ? ', ...' : ''})` +
      (shape ? `; the first image, ${first}, is ${shape.width}x${shape.height} with ${plural(shape.channels, 'channel')}` : '') +
      (info.test ? '' : '; no test folder was found, so there is only a train split'),
  };
}

function firstImage(sample: FolderSample, rel: string): string | undefined {
  const prefix = rel ? `${rel}/` : '';
  return sampledFiles(sample).find((file) => file.startsWith(prefix) && isImageName(file));
}

async function imageShape(file: string): Promise<{ width: number; height: number; channels: number } | null> {
  const meta = await sharp(file, { limitInputPixels: 2 ** 28 })
    .metadata()
    .catch(() => null);
  return meta?.width && meta.height && meta.channels ? { width: meta.width, height: meta.height, channels: meta.channels } : null;
}

/** The CSVs at the top of the folder, with their heads. */
async function topCsvs(sample: FolderSample): Promise<CsvHead[]> {
  const names = (sample.folders.get('')?.files ?? []).filter((name) => /\.csv$/i.test(name));
  const heads = await Promise.all(names.map((name) => readCsvHead(abs(sample, name))));
  return heads.filter((head): head is CsvHead => head !== null);
}

/** Whether the first rows' files exist relative to `base`. */
async function rowsExist(head: CsvHead, column: string, base: string): Promise<boolean> {
  const files = head.rows
    .map((row) => row[column] ?? '')
    .filter(Boolean)
    .slice(0, ROWS_CHECKED);
  if (!files.length) return false;
  const found = await Promise.all(
    files.map((file) =>
      fsp.access(path.resolve(base, file)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.every(Boolean);
}

/** train*.csv with test*.csv when both are there, else the first. */
function pickSplits(heads: CsvHead[]): { train?: CsvHead; test?: CsvHead; only?: CsvHead } {
  const named = (word: string) => heads.find((h) => path.basename(h.file).toLowerCase().startsWith(word));
  const train = named('train'),
    test = named('test');
  return train && test ? { train, test } : { only: heads[0] };
}

const csvNames = (heads: CsvHead[]) => heads.map((h) => path.basename(h.file)).join(', ');

export async function csvManifest(sample: FolderSample): Promise<Verdict> {
  const manifests: CsvHead[] = [];
  for (const head of await topCsvs(sample)) {
    const [file, label] = [fileColumn(head), labelColumn(head)];
    const images = file !== undefined && head.rows.some((row) => isImageName(row[file] ?? ''));
    if (file && label && images && (await rowsExist(head, file, path.dirname(head.file)))) manifests.push(head);
  }
  if (!manifests.length)
    return { handler: 'CsvManifest', miss: 'no CSV at the top of the folder lists image files that exist with a label' };
  const { train, test, only } = pickSplits(manifests);
  const main = (train ?? only)!;
  const [file, label] = [fileColumn(main)!, labelColumn(main)!];
  const info: Record<string, unknown> = test ? { train: train!.file, test: test.file } : { train: only!.file };
  if (file !== 'path') info.path_column = file;
  if (label !== 'label') info.label_column = label;
  return {
    handler: 'CsvManifest',
    info,
    why:
      `${csvNames(test ? [train!, test] : [only!])} list${test ? '' : 's'} image files (column ${file}) with a label (column ${label}), ` +
      `and the first rows' files exist` +
      (test ? '' : `; there is only a train split${manifests.length > 1 ? ` (also manifests: ${csvNames(manifests.slice(1))})` : ''}`),
  };
}

const IDX_NAME = /idx\d-ubyte(\.gz)?$/i;

async function looksIdx(file: string): Promise<boolean> {
  const handle = await fsp.open(file, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead < 4) return false;
    return file.endsWith('.gz') ? head[0] === 0x1f && head[1] === 0x8b : head[0] === 0 && head[1] === 0 && head[3]! >= 1;
  } finally {
    await handle.close();
  }
}

export async function idx(sample: FolderSample): Promise<Verdict> {
  const files = sampledFiles(sample).filter((file) => IDX_NAME.test(file));
  const find = (split: RegExp, kind: RegExp) => files.find((f) => split.test(path.basename(f)) && kind.test(path.basename(f)));
  const info: Record<string, unknown> = {};
  for (const [split, pattern] of [
    ['train', /^train/i],
    ['test', /^(t10k|test)/i],
  ] as const) {
    const images = find(pattern, /images|idx3/i),
      labels = find(pattern, /labels|idx1/i);
    if (images && labels && (await looksIdx(abs(sample, images))) && (await looksIdx(abs(sample, labels))))
      Object.assign(info, { [`${split}_images`]: abs(sample, images), [`${split}_labels`]: abs(sample, labels) });
  }
  if (!Object.keys(info).length)
    return {
      handler: 'Idx',
      miss: files.length ? 'IDX-named files, but no images and labels pair that reads as IDX' : 'no IDX files (*-idx3-ubyte)',
    };
  const pairs = Object.keys(info).length / 2;
  return { handler: 'Idx', info, why: `${plural(pairs, 'pair')} of IDX images and labels files (MNIST format), named train and t10k/test` };
}

export async function dicom(sample: FolderSample): Promise<Verdict> {
  const probes = sampledFiles(sample)
    .filter((file) => !NOT_DICOM_NAMES.test(file))
    .slice(0, DICOM_PROBES);
  const hits = (await Promise.all(probes.map(async (file) => ((await isDicomFile(abs(sample, file))) ? file : null)))).filter(
    (file): file is string => file !== null,
  );
  if (!hits.length) return { handler: 'Dicom', miss: `no DICOM file ('DICM' at byte 128) among ${plural(probes.length, 'file')} probed` };
  const found = `${hits.length} of ${plural(probes.length, 'file')} probed are DICOM ('DICM' at byte 128)`;
  const labels = await dicomLabels(sample);
  if (!labels)
    return {
      handler: 'Dicom',
      miss:
        `${found}, but no labels CSV at the top of the folder with a label column and one of ${DICOM_LABEL_KEYS.join(', ')}: ` +
        'the Dicom handler needs one (write it beside the export and run again)',
    };
  const tops = new Set(hits.map((file) => file.split('/')[0]));
  const root = tops.size === 1 && hits.every((file) => file.includes('/')) ? abs(sample, [...tops][0]!) : sample.root;
  const info: Record<string, unknown> = { path: root, labels: labels.head.file };
  if (labels.key !== 'StudyInstanceUID') info.label_key = labels.key;
  if (labels.label !== 'label') info.label_column = labels.label;
  return {
    handler: 'Dicom',
    info,
    why:
      `${found}; ${path.basename(labels.head.file)} labels them by ${labels.key} (column ${labels.label}); ` +
      `one export, split by patient${labels.others.length ? ` (other labels CSVs: ${csvNames(labels.others)})` : ''}`,
  };
}

/** The labels CSV keyed by a DICOM attribute: by StudyInstanceUID (the handler's default) first, then in DICOM_LABEL_KEYS' order. */
async function dicomLabels(sample: FolderSample) {
  const keyOrder = ['StudyInstanceUID', ...DICOM_LABEL_KEYS.filter((k) => k !== 'StudyInstanceUID')];
  const usable = (await topCsvs(sample)).flatMap((head) => {
    const key = keyOrder.find((k) => head.columns.includes(k));
    const label = labelColumn(head);
    return key && label ? [{ head, key, label }] : [];
  });
  usable.sort((a, b) => keyOrder.indexOf(a.key) - keyOrder.indexOf(b.key));
  const [first] = usable;
  return first ? { ...first, others: usable.slice(1).map((u) => u.head) } : undefined;
}

export async function nifti(sample: FolderSample): Promise<Verdict> {
  const volumes = sampledFiles(sample).filter(isNiftiName);
  if (!volumes.length) return { handler: 'Nifti', miss: 'no NIfTI volumes (.nii, .nii.gz)' };
  const folders = [...new Set(volumes.map((file) => path.posix.dirname(file)))];
  const sets: CsvHead[] = [];
  let labelled: { head: CsvHead; folder: string } | undefined;
  for (const head of await topCsvs(sample)) {
    const [file, label] = [fileColumn(head), labelColumn(head)];
    if (!file || !label || !head.rows.some((row) => isNiftiName(row[file] ?? ''))) continue;
    if (await rowsExist(head, file, sample.root)) sets.push(head);
    for (const folder of folders) if (!labelled && (await rowsExist(head, file, abs(sample, folder)))) labelled = { head, folder };
  }
  const found = `${plural(volumes.length, 'NIfTI volume')} in the sample`;
  if (sets.length) return niftiSets(sets, found);
  if (labelled) return niftiFolder(sample, labelled, found);
  return { handler: 'Nifti', miss: `${found}, but no CSV at the top of the folder names them (file and label columns)` };
}

function niftiColumns(head: CsvHead): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  const [file, label, subject] = [fileColumn(head)!, labelColumn(head)!, subjectColumn(head)];
  if (file !== 'file') columns.file_column = file;
  if (label !== 'label') columns.label_column = label;
  if (subject) columns.subject_column = subject;
  return columns;
}

function niftiSets(sets: CsvHead[], found: string): Verdict {
  const { train, test, only } = pickSplits(sets);
  const main = (train ?? only)!;
  const info = { ...(test ? { train: train!.file, test: test.file } : { path: only!.file }), ...niftiColumns(main) };
  const subject = subjectColumn(main);
  return {
    handler: 'Nifti',
    info,
    why:
      `${found}; ${csvNames(test ? [train!, test] : [only!])} list them with a label` +
      (subject ? `, kept together by subject (column ${subject})` : ', each volume its own subject (no subject column)') +
      (test ? '' : '; split by subject'),
  };
}

function niftiFolder(sample: FolderSample, { head, folder }: { head: CsvHead; folder: string }, found: string): Verdict {
  return {
    handler: 'Nifti',
    info: { path: abs(sample, folder), labels: head.file, ...niftiColumns(head) },
    why: `${found}; ${path.basename(head.file)} labels the volumes of ${folder} (one set, split by subject)`,
  };
}

/** The info keys each built-in reads as paths: written relative to the config file. */
export const PATH_KEYS: Record<BuiltinHandlerName, string[]> = {
  ImageFolder: ['train', 'test'],
  CsvManifest: ['train', 'test'],
  Idx: ['train_images', 'train_labels', 'test_images', 'test_labels'],
  Dicom: ['path', 'train', 'test', 'labels'],
  Nifti: ['path', 'train', 'test', 'labels'],
};
