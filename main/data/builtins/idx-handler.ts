// Runs anywhere in main: the built-in Idx handler: MNIST-format image and label files (raw or .gz), read by offset.
import { constants as fsConstants, promises as fsp } from 'node:fs';
import path from 'node:path';
import { IdxInfoSchema, type IdxInfo } from '../../../common/data-config.js';
import { defaultCacheDir } from '../cache-dir.js';
import { closeSplits, DataHandler, type DataSplits } from '../data-handler.js';
import { readIdxHeader, uncompressedIdx, type IdxHeader } from '../idx.js';
import { IdxGenerator } from '../idx-generator.js';
import { infoError, pooledOptions, resolveFrom } from './image-setup.js';
import { fsProblem } from '../../config/fs-problem.js';

interface SplitFiles {
  split: 'train' | 'test';
  images: IdxHeader;
  imagesSource: string;
  labels: Uint8Array;
}

export class Idx extends DataHandler {
  async getData(): Promise<DataSplits> {
    const info: IdxInfo = IdxInfoSchema.parse(this.info);
    const cacheDir = info.cache_dir ? resolveFrom(this.context.baseDir, info.cache_dir) : path.join(defaultCacheDir(), 'idx');
    const named = [info.train_images, info.train_labels, info.test_images, info.test_labels];
    if (named.some((file) => file?.endsWith('.gz'))) await writableCacheDir(cacheDir, info.cache_dir !== undefined);
    const splits: SplitFiles[] = [];
    for (const split of ['train', 'test'] as const) {
      const images = info[`${split}_images`];
      const labels = info[`${split}_labels`];
      if (images && labels) splits.push(await this.#openSplit(split, images, labels, cacheDir));
    }
    const maxLabel = Math.max(...splits.map(({ labels }) => labels.reduce((a, b) => Math.max(a, b), 0)));
    const classNames = info.class_names ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
    if (maxLabel >= classNames.length) throw infoError('class_names', `${classNames.length} names, but the labels go up to ${maxLabel}`);
    const generators: Partial<Record<'train' | 'test', IdxGenerator>> = {};
    for (const { split, images, imagesSource, labels } of splits) {
      generators[split] = new IdxGenerator({
        images,
        source: imagesSource,
        labels,
        classNames,
        ...pooledOptions(info, split),
      });
    }
    try {
      await Promise.all([generators.train?.start(), generators.test?.start()]);
    } catch (error) {
      await closeSplits(generators);
      throw error;
    }
    return generators;
  }

  async #openSplit(split: 'train' | 'test', imagesPath: string, labelsPath: string, cacheDir: string): Promise<SplitFiles> {
    const open = async (key: string, file: string) => {
      const source = resolveFrom(this.context.baseDir, file);
      try {
        return { source, header: await readIdxHeader(await uncompressedIdx(source, cacheDir)) };
      } catch (error) {
        // An IdxError names the file itself; a file system error gets it named here.
        const { code } = error as NodeJS.ErrnoException;
        const problem = code === 'ENOENT' ? `${source} does not exist` : code ? `${source}: ${fsProblem(error)}` : (error as Error).message;
        throw infoError(key, problem, error);
      }
    };
    const images = await open(`${split}_images`, imagesPath);
    const labels = await open(`${split}_labels`, labelsPath);
    const [count, h, w, c] = images.header.dims;
    if (
      images.header.dtype !== 'ubyte' ||
      h === undefined ||
      w === undefined ||
      images.header.dims.length > 4 ||
      (c !== undefined && ![1, 3].includes(c))
    ) {
      const got = `${images.header.dtype} ${images.header.dims.join('x')}`;
      throw infoError(`${split}_images`, `expected ubyte images of shape (n, h, w) or (n, h, w, 1|3), got ${got}`);
    }
    if (labels.header.dtype !== 'ubyte' || labels.header.dims.length !== 1) {
      throw infoError(`${split}_labels`, `expected one ubyte label per record, got ${labels.header.dtype} ${labels.header.dims.join('x')}`);
    }
    if (labels.header.dims[0] !== count) {
      throw infoError(`${split}_labels`, `${labels.header.dims[0]} labels for ${count} images in ${images.source}`);
    }
    if (count === 0) throw infoError(`${split}_images`, `${images.source} holds no images (0 records)`);
    // Labels are one byte per sample: reading them whole is what lets every batch and preview know its classes.
    const bytes = await fsp.readFile(labels.header.file);
    const labelBytes = new Uint8Array(bytes.buffer, bytes.byteOffset + labels.header.dataOffset, count);
    return { split, images: images.header, imagesSource: images.source, labels: labelBytes };
  }
}

/** .gz files are inflated into the cache folder: one that cannot be written is the config's fault, said on cache_dir. */
async function writableCacheDir(dir: string, configured: boolean): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true });
    await fsp.access(dir, fsConstants.W_OK);
  } catch (error) {
    const which = configured ? dir : `the default ${dir} (set cache_dir to use another)`;
    throw infoError('cache_dir', `cannot write the inflated .gz files to ${which}: ${(error as Error).message}`, error);
  }
}
