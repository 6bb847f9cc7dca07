// Runs anywhere in main: what the image-file handlers share: paths from `info`, the target size, the optional cache.
import path from 'node:path';
import type { ImageOptions } from '../../../common/data-config.js';
import { defaultCacheDir } from '../cache-dir.js';
import { readImageFile } from '../decode/read-file.js';
import { probeImage } from '../decode/decode-jobs.js';
import { floatRecordBytes } from '../decode/float-record.js';
import { decodeFullDepth } from '../decode/full-depth.js';
import { cacheKey, openDecodedCache, type DecodedCache } from '../decoded-cache.js';
import { closeSplits } from '../data-handler.js';
import { ImageFilesGenerator, type ImageTarget } from '../image-generator.js';
import { expandFrames } from '../sources/dicom-frames.js';
import type { FileList } from '../sources/file-list.js';
import type { PooledOptions } from '../pooled-generator.js';
import type { ListingReport } from '../sources/problems.js';

/** How many leading files may fail to decode before size inference gives up. */
const INFER_TRIES = 50;

export interface SplitListing {
  split: 'train' | 'test';
  /** What the split's key names, resolved: the folder of class folders, or the CSV file. */
  source: string;
  files: FileList;
  report: ListingReport;
  /** Which frame of its file each entry is (multi-frame DICOM), in shared memory; absent: frame 0 of every file. */
  frames?: Uint32Array;
  /** How a sample is named in reports and previews; default: its file's path. */
  describe?: (index: number) => string;
}

/** What every built-in's generator takes from its info the same way. */
export function pooledOptions(
  info: Pick<ImageOptions, 'normalize' | 'batch_size' | 'shuffle' | 'seed' | 'workers' | 'prefetch'>,
  split: 'train' | 'test',
): PooledOptions {
  return {
    normalize: info.normalize,
    batchSize: info.batch_size,
    // The test split is read in order: evaluation needs no shuffling and gains from reproducible batches.
    shuffle: split === 'train' && info.shuffle,
    seed: info.seed,
    ...(info.workers !== undefined && { workers: info.workers }),
    ...(info.prefetch !== undefined && { prefetch: info.prefetch }),
  };
}

export function resolveFrom(baseDir: string, file: string): string {
  return path.resolve(baseDir, file);
}

/**
 * An error about one `info` key, worded so the loader places it on that key's line (`data.info.train: ...`). Every
 * built-in error that an `info` value causes is made here, so none falls back to `data.name`.
 */
export function infoError(key: string, problem: string, cause?: unknown): Error {
  return new Error(`data.info.${key}: ${problem}`, cause === undefined ? undefined : { cause });
}

/** A split with nothing to read is refused on its key now, not found out when its first epoch yields nothing. */
function refuseEmpty({ split, source, files, report }: SplitListing): void {
  if (files.length > 0) return;
  const first = report.problems[0];
  const findings = [
    ...(report.ignoredFiles > 0 ? [`${report.ignoredFiles} files ignored as not images by name`] : []),
    ...(first ? [`${report.problemCount} entries not used, the first ${first.path}: ${first.reason}`] : []),
  ];
  throw infoError(split, `${source} has no images to read${findings.length ? ` (${findings.join('; ')})` : ''}`);
}

/** Under on_bad_file: fail, a listing that found unreadable entries is refused before training starts. */
export function refuseUnreadable(listing: Pick<SplitListing, 'split' | 'report'>, onBadFile: 'skip' | 'fail'): void {
  const first = listing.report.problems.find((p) => p.kind === 'unreadable');
  if (onBadFile === 'fail' && first) {
    throw infoError(
      listing.split,
      `${first.path}: ${first.reason} (${listing.report.unreadableCount} such in ${listing.split}; on_bad_file is "fail")`,
    );
  }
}

/** The configured size, or the size of the first image that decodes (train split first). */
async function resolveTarget(options: ImageOptions, listings: SplitListing[]): Promise<ImageTarget> {
  const base = {
    channels: options.color_mode === 'grayscale' ? 1 : 3,
    interpolation: options.interpolation,
    maxPixels: options.max_pixels,
  } as const;
  if (options.image_size) return { ...base, height: options.image_size[0], width: options.image_size[1] };
  const errors: string[] = [];
  for (const { files } of listings) {
    for (let i = 0; i < Math.min(files.length, INFER_TRIES); i++) {
      try {
        const original = await probeImage(readImageFile(files.path(i), base.maxPixels), base, files.path(i));
        return { ...base, height: original.height, width: original.width };
      } catch (error) {
        errors.push(`${files.path(i)}: ${(error as Error).message}`);
      }
    }
  }
  // Every split has images (empty ones were refused), so there are errors: the images are at fault, not image_size.
  throw infoError(
    listings[0]!.split,
    `none of the first ${errors.length} images decode, so image_size cannot be inferred (first: ${errors[0]})`,
  );
}

/**
 * Whether the cache keeps float records: with a `window` every image's values go the float way, and a split whose
 * first readable file is full-depth (16-bit, DICOM) is taken to be all so. An 8-bit cache leaves full-depth images
 * uncached (decoded each epoch) rather than storing them rounded.
 */
async function floatValues(options: ImageOptions, files: FileList, maxPixels: number): Promise<boolean> {
  if (options.window !== undefined) return true;
  for (let i = 0; i < Math.min(files.length, INFER_TRIES); i++) {
    const full = await decodeFullDepth(readImageFile(files.path(i), maxPixels), maxPixels, 0, files.path(i)).catch(() => undefined);
    if (full !== undefined) return full !== null;
  }
  return false;
}

/** The decoded cache, or a note on why there is none although the config asked for one. */
async function openCache(
  options: ImageOptions,
  baseDir: string,
  files: FileList,
  target: ImageTarget,
  frames?: Uint32Array,
): Promise<{ cache?: DecodedCache; notes: string[] }> {
  if (!options.cache) return { notes: [] };
  const dir = options.cache_dir ? resolveFrom(baseDir, options.cache_dir) : path.join(defaultCacheDir(), 'decoded');
  const { height, width, channels, interpolation, maxPixels } = target;
  const values = (await floatValues(options, files, maxPixels)) ? 'f32' : 'u8';
  // Two frames of one file are two records: the frame is part of what names a sample.
  const name = frames ? (i: number) => `${files.path(i)}#${frames[i]}` : (i: number) => files.path(i);
  const key = await cacheKey(name, files.length, { height, width, channels, interpolation, maxPixels, values });
  const recordBytes = values === 'f32' ? floatRecordBytes(height * width * channels) : height * width * channels;
  const opened = await openDecodedCache(dir, key, files.length, recordBytes, values).catch((error: Error) => {
    throw infoError(options.cache_dir ? 'cache_dir' : 'cache', `cannot open the decoded cache in ${dir}: ${error.message}`, error);
  });
  return 'busy' in opened ? { notes: [`decoding without a cache: ${opened.busy}`] } : { cache: opened, notes: [] };
}

/** One generator per listed split, all sharing the class names, the target size and one decode pool size. */
export async function imageGenerators(options: ImageOptions, baseDir: string, classNames: readonly string[], listings: SplitListing[]) {
  for (const listing of listings) {
    refuseEmpty(listing);
    refuseUnreadable(listing, options.on_bad_file);
  }
  const target = await resolveTarget(options, listings);
  const generators: Partial<Record<'train' | 'test', ImageFilesGenerator>> = {};
  try {
    for (const listing of listings) {
      const { split, report, describe } = listing;
      // A handler that names frames itself (Dicom) keeps them; else dicom_frames: all gives each frame of a file its sample.
      const { files, frames } =
        listing.frames || options.dicom_frames !== 'all' ? listing : await expandFrames(listing.files, options.max_pixels);
      generators[split] = new ImageFilesGenerator({
        files,
        ...(frames && { frames }),
        ...(describe && { describe }),
        listing: report,
        classNames,
        target,
        ...pooledOptions(options, split),
        ...(options.window !== undefined && { window: options.window }),
        onBadFile: options.on_bad_file,
        ...(await openCache(options, baseDir, files, target, frames)),
      });
      await generators[split]!.start();
    }
  } catch (error) {
    await closeSplits(generators); // a split that failed must not leave the other's threads and cache lock behind
    throw error;
  }
  return generators;
}
