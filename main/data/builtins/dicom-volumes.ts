// Runs anywhere in main: the Dicom handler's generators when each series is one 3-D sample (slice: volume): slice lists in shared memory, the target size.
import type { DicomInfo } from '../../../common/data-config.js';
import { closeSplits } from '../data-handler.js';
import { DicomVolumesGenerator } from '../dicom-volume-generator.js';
import type { DicomSample } from '../sources/dicom-listing.js';
import { FileList } from '../sources/file-list.js';
import type { ListingReport } from '../sources/problems.js';
import { pooledOptions, refuseUnreadable } from './image-setup.js';

export interface VolumeSplit {
  split: 'train' | 'test';
  /** Each with its slices (selectSamples with slice: volume). */
  samples: DicomSample[];
  report: ListingReport;
  describe: (index: number) => string;
}

/** Every sample's slices, sample after sample, as one file list, their frames and where each sample starts. */
function sliceLists(samples: DicomSample[]): { slices: FileList; frames: Uint32Array; starts: Uint32Array; labels: Int32Array } {
  const slices = new FileList();
  const total = samples.reduce((n, s) => n + s.slices!.length, 0);
  const frames = new Uint32Array(new SharedArrayBuffer(4 * Math.max(1, total)), 0, total);
  const starts = new Uint32Array(new SharedArrayBuffer(4 * (samples.length + 1)));
  let at = 0;
  samples.forEach((sample, i) => {
    starts[i] = at;
    for (const { tree, entry, frame } of sample.slices!) {
      slices.addPath(tree.index.root, entry.path, sample.label);
      frames[at++] = frame;
    }
  });
  starts[samples.length] = at;
  return { slices: slices.seal(), frames, starts, labels: Int32Array.from(samples, (s) => s.label) };
}

/**
 * One generator per split. The size defaults to the first series' (train's first): its slice count, and its
 * first slice's rows and columns as the index read them (no pixel is decoded to choose it).
 */
export async function volumeGenerators(info: DicomInfo, classNames: readonly string[], splits: VolumeSplit[]) {
  for (const split of splits) refuseUnreadable(split, info.on_bad_file);
  const first = splits[0]!.samples[0]!;
  const target = {
    depth: info.volume_size?.[0] ?? first.slices!.length,
    height: info.volume_size?.[1] ?? first.entry.rows,
    width: info.volume_size?.[2] ?? first.entry.columns,
    channels: info.color_mode === 'grayscale' ? 1 : 3,
    interpolation: info.interpolation,
  } as const;
  const generators: Partial<Record<'train' | 'test', DicomVolumesGenerator>> = {};
  try {
    for (const { split, samples, report, describe } of splits) {
      generators[split] = new DicomVolumesGenerator({
        ...sliceLists(samples),
        classNames,
        target,
        ...(info.window !== undefined && { window: info.window }),
        maxPixels: info.max_pixels,
        maxVoxels: info.max_voxels,
        onBadFile: info.on_bad_file,
        describe,
        listing: report,
        ...pooledOptions(info, split),
      });
      await generators[split]!.start();
    }
  } catch (error) {
    await closeSplits(generators);
    throw error;
  }
  return generators;
}
