// Runs anywhere in main: the built-in Nifti handler: .nii / .nii.gz volumes as 2-D slices along an axis or as 3-D samples, labelled by CSV, split by subject.
import { NiftiInfoSchema, type NiftiInfo } from '../../../common/data-config.js';
import { closeSplits, DataHandler, type DataSplits } from '../data-handler.js';
import type { Axis } from '../decode/nifti/index.js';
import { NiftiSlicesGenerator, type NiftiSamples } from '../nifti-generator.js';
import { compareNames } from '../sources/image-folder-listing.js';
import { listCsv, listFolder, readHeaders, type CsvColumns, type ListedVolume, type Volume } from '../sources/nifti-listing.js';
import { defaultSaltDir, siteHasher, type PhiHasher } from '../sources/phi-hash.js';
import { ListingReport } from '../sources/problems.js';
import { heldOutSubjects, sharedSubjects, sharedSubjectsProblem } from '../subject-split.js';
import { infoError, pooledOptions, resolveFrom } from './image-setup.js';

type SetKey = 'path' | 'train' | 'test';

interface ReadSet {
  key: SetKey;
  volumes: Volume[];
  report: ListingReport;
}

interface SplitVolumes {
  split: 'train' | 'test';
  /** The key a problem with this split is said on. */
  key: SetKey;
  volumes: Volume[];
  report: ListingReport;
}

const AXES: Record<NiftiInfo['axis'], Axis> = { sagittal: 0, coronal: 1, axial: 2, 0: 0, 1: 1, 2: 2 };

export class Nifti extends DataHandler {
  async getData(): Promise<DataSplits> {
    const info: NiftiInfo = NiftiInfoSchema.parse(this.info);
    const keys: SetKey[] = info.path ? ['path'] : (['train', 'test'] as const).filter((key) => info[key]);
    const sets: ReadSet[] = [];
    for (const key of keys) sets.push(await this.#readSet(info, key));
    const classNames = info.class_names ?? [...new Set(sets.flatMap((set) => set.volumes.map((v) => v.label)))].sort(compareNames);
    if (classNames.length === 0) throw infoError(keys[0]!, 'no labelled volume could be read');
    // One salt for the site: a subject hashes the same here as under a Dicom handler kept in the same folder.
    const saltDir = info.salt_dir ? resolveFrom(this.context.baseDir, info.salt_dir) : defaultSaltDir();
    const hasher = await siteHasher(saltDir).catch((error: Error) => {
      throw infoError(keys[0]!, `cannot keep the site's hashing salt in ${saltDir}: ${error.message}`, error);
    });
    const splits = info.path ? splitBySubject(sets[0]!, info.test_fraction, info.seed) : twoSets(sets, hasher);
    const axis = AXES[info.axis];
    const built = splits.map((split) => ({ ...split, samples: samplesOf(split, classNames, axis, info.slices) }));
    for (const split of built) refuseEmptyOrBad(split, info.on_bad_file);
    const first = built[0]!.samples;
    const firstVolume = first.volumes[first.volume[0]!]!;
    const plane = planeOf(firstVolume, axis);
    const size = info.volume_size?.slice(1) ?? info.image_size;
    const target = {
      // A volume sample's depth: its slices along the axis, resampled to volume_size's or to the first volume's count.
      ...(info.slices === 'volume' && { depth: info.volume_size?.[0] ?? firstVolume.header.dims[axis] }),
      height: size?.[0] ?? plane[0],
      width: size?.[1] ?? plane[1],
      channels: info.color_mode === 'grayscale' ? 1 : 3,
      interpolation: info.interpolation,
    } as const;
    const generators: Partial<Record<'train' | 'test', NiftiSlicesGenerator>> = {};
    try {
      for (const { split, samples, report } of built) {
        generators[split] = new NiftiSlicesGenerator({
          samples,
          classNames,
          axis,
          target,
          window: info.window,
          maxVoxels: info.max_voxels,
          keptVolumeBytes: info.kept_volumes_mb * 2 ** 20,
          onBadFile: info.on_bad_file,
          listing: report,
          hasher,
          ...pooledOptions(info, split),
        });
        await generators[split].start();
      }
    } catch (error) {
      await closeSplits(generators);
      throw error;
    }
    return generators;
  }

  async #readSet(info: NiftiInfo, key: SetKey): Promise<ReadSet> {
    const source = resolveFrom(this.context.baseDir, info[key]!);
    const columns: CsvColumns = { file: info.file_column, label: info.label_column, subject: info.subject_column };
    const report = new ListingReport();
    let listed: ListedVolume[];
    try {
      if (/\.csv$/i.test(source)) listed = await listCsv(source, columns, report);
      else if (!info.labels) throw new Error(`${source} is a folder: name the CSV of its labels in \`labels\` (or give a CSV set instead)`);
      else listed = await listFolder(source, resolveFrom(this.context.baseDir, info.labels), columns, report);
    } catch (error) {
      throw infoError(key, (error as Error).message, error);
    }
    return { key, volumes: await readHeaders(listed, { maxVoxels: info.max_voxels }, report), report };
  }
}

/** One set: whole subjects held out for test (seeded), so no subject's slices are on both sides. */
function splitBySubject(set: ReadSet, fraction: number, seed: number): SplitVolumes[] {
  const test = heldOutSubjects(
    set.volumes.map((v) => v.subject),
    fraction,
    seed,
  );
  const train: SplitVolumes = {
    split: 'train',
    key: set.key,
    volumes: set.volumes.filter((v) => !test.has(v.subject)),
    report: set.report,
  };
  if (test.size === 0) return [train];
  return [train, { split: 'test', key: set.key, volumes: set.volumes.filter((v) => test.has(v.subject)), report: new ListingReport() }];
}

/** Two sets: taken as given, but a subject in both is refused before anything trains. */
function twoSets(sets: ReadSet[], hasher: PhiHasher): SplitVolumes[] {
  const splits = sets.map(({ key, volumes, report }) => ({ split: key as 'train' | 'test', key, volumes, report }));
  const [train, test] = splits;
  if (train && test) {
    const shared = sharedSubjects(
      train.volumes.map((v) => v.subject),
      test.volumes.map((v) => v.subject),
    );
    if (shared.length > 0) throw infoError('test', sharedSubjectsProblem(shared, 'subject', hasher));
  }
  return splits;
}

/** The indices along `axis` that `slices` picks from a volume with `count` of them; `volume` is one sample, the whole. */
export function pickSlices(slices: NiftiInfo['slices'], count: number): number[] {
  if (slices === 'volume') return count > 0 ? [0] : [];
  if (slices === 'all') return Array.from({ length: count }, (_, k) => k);
  // numpy's usual middle slice, data[..., n // 2]
  if (slices === 'middle') return [Math.floor(count / 2)];
  const [from, to] = slices;
  return Array.from({ length: Math.max(0, Math.min(to, count - 1) - from + 1) }, (_, k) => from + k);
}

function samplesOf(split: SplitVolumes, classNames: readonly string[], axis: Axis, slices: NiftiInfo['slices']): NiftiSamples {
  const labelOf = new Map(classNames.map((name, i) => [name, i]));
  const volumes: Volume[] = [];
  const volume: number[] = [];
  const slice: number[] = [];
  for (const v of split.volumes) {
    const label = labelOf.get(v.label);
    const picked = pickSlices(slices, v.header.dims[axis]);
    if (label === undefined) split.report.problem(v.path, `label "${v.label}" is not one of class_names: not used`, 'unused');
    else if (picked.length === 0)
      split.report.problem(v.path, `no slice of ${JSON.stringify(slices)} among its ${v.header.dims[axis]} along axis ${axis}`, 'unused');
    else {
      for (const k of picked) {
        volume.push(volumes.length);
        slice.push(k);
      }
      volumes.push(v);
    }
  }
  return {
    volumes,
    labels: Int32Array.from(volumes, (v) => labelOf.get(v.label)!),
    volume: Uint32Array.from(volume),
    slice: Uint32Array.from(slice),
  };
}

/** A split with no slice to read is refused on its key; so is any unreadable volume under on_bad_file: fail. */
function refuseEmptyOrBad(split: SplitVolumes & { samples: NiftiSamples }, onBadFile: 'skip' | 'fail'): void {
  const { report } = split;
  const unreadable = report.problems.find((p) => p.kind === 'unreadable');
  if (onBadFile === 'fail' && unreadable)
    throw infoError(split.key, `${unreadable.path}: ${unreadable.reason} (${report.unreadableCount} such; on_bad_file is "fail")`);
  if (split.samples.volume.length > 0) return;
  const first = report.problems[0];
  const why = first ? ` (${report.problemCount} volumes or rows not used, the first ${first.path}: ${first.reason})` : '';
  throw infoError(split.key, `the ${split.split} split has no slices to read${why}`);
}

/** A slice's [rows, columns] along `axis`: the two other axes, in order. */
function planeOf(volume: Volume, axis: Axis): [number, number] {
  const [i, j, k] = volume.header.dims;
  return axis === 0 ? [j, k] : axis === 1 ? [i, k] : [i, j];
}
