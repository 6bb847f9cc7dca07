// Runs in the CLI process (plain Node): Fashion-MNIST for a local federation: the sample shipped in assets/ (PNG files) or Debian's full IDX files.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** The dataset's label order; every site lists it, so label 3 means "dress" everywhere. */
export const FASHION_CLASSES = ['t-shirt/top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];

const repoRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  ...(import.meta.url.includes('/dist/') ? ['..'] : []),
);
export const SAMPLE_DIR = path.join(repoRoot, 'assets', 'fashion-mnist-sample');
/** Where Debian's dataset-fashion-mnist package puts the IDX files. */
export const FULL_DIR = '/usr/share/datasets/fashion-mnist';
const FULL_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

/** One split: a label per sample, and the samples themselves as PNG files or as 28x28 bytes in IDX order. */
export type Split = { labels: Uint8Array } & (
  { kind: 'files'; files: string[] } | { kind: 'pixels'; pixels: Uint8Array; rows: number; cols: number }
);

export interface Dataset {
  /** What it is and where it came from, for the operator. */
  description: string;
  train: Split;
  test: Split;
}

/** The shipped sample: `train/<class>/*.png`, class folders sorting in label order (see its README). */
export async function loadSample(root = SAMPLE_DIR): Promise<Dataset> {
  const [train, test] = await Promise.all([listPngs(path.join(root, 'train')), listPngs(path.join(root, 'test'))]);
  return {
    description:
      `the Fashion-MNIST sample shipped in ${path.relative(process.cwd(), root) || root} ` +
      `(${train.labels.length} train, ${test.labels.length} test PNGs)`,
    train,
    test,
  };
}

async function listPngs(folder: string): Promise<Split> {
  const classes = (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  if (classes.length !== FASHION_CLASSES.length)
    throw new Error(`${folder}: expected ${FASHION_CLASSES.length} class folders, found ${classes.length}`);
  const files: string[] = [];
  const labels: number[] = [];
  for (const [label, name] of classes.entries()) {
    const pngs = (await readdir(path.join(folder, name))).filter((file) => file.endsWith('.png')).sort();
    for (const png of pngs) {
      files.push(path.join(folder, name, png));
      labels.push(label);
    }
  }
  return { kind: 'files', files, labels: Uint8Array.from(labels) };
}

/** Debian's dataset-fashion-mnist (60,000 train and 10,000 test images); a clear error naming the package when it is missing. */
export async function loadFull(dir = FULL_DIR): Promise<Dataset> {
  const missing = Object.values(FULL_FILES).filter((file) => !existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    throw new Error(
      `the full Fashion-MNIST is not installed (${missing.map((file) => path.join(dir, file)).join(', ')} not found): ` +
        "install Debian's package with `sudo apt-get install dataset-fashion-mnist`, " +
        'or run the demo without --full on the shipped sample',
    );
  }
  const read = async (file: string) => new Uint8Array(gunzipSync(await readFile(path.join(dir, file))));
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(Object.values(FULL_FILES).map(read));
  return {
    description: `the full Fashion-MNIST from Debian's dataset-fashion-mnist in ${dir}`,
    train: pixelSplit(trainImages!, trainLabels!, FULL_FILES.trainImages),
    test: pixelSplit(testImages!, testLabels!, FULL_FILES.testImages),
  };
}

/** IDX: a 0x0803 header (count, rows, cols) then the bytes; labels: a 0x0801 header (count) then one byte each. */
function pixelSplit(images: Uint8Array, labels: Uint8Array, name: string): Split {
  const view = new DataView(images.buffer, images.byteOffset, images.byteLength);
  const labelView = new DataView(labels.buffer, labels.byteOffset, labels.byteLength);
  if (view.getUint32(0) !== 0x803 || labelView.getUint32(0) !== 0x801) throw new Error(`${name}: not an IDX image file with its labels`);
  const [count, rows, cols] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
  if (labelView.getUint32(4) !== count || images.length !== 16 + count * rows * cols)
    throw new Error(`${name}: its sizes do not agree with its header`);
  return { kind: 'pixels', pixels: images.subarray(16), rows, cols, labels: labels.subarray(8) };
}
