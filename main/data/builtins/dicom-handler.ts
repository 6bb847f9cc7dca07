// Runs anywhere in main: the built-in Dicom handler: a PACS export tree of any layout, labels from a CSV, split by patient.
import { DicomInfoSchema, type DicomInfo } from '../../../common/data-config.js';
import { imagesNotUsedText } from '../../../common/dicom-words.js';
import { DataHandler, type DataSplits } from '../data-handler.js';
import { indexDicomTree } from '../sources/dicom-index.js';
import { readDicomLabels } from '../sources/dicom-labels.js';
import {
  selectSamples,
  sharedPatients,
  splitByPatient,
  type DicomSample,
  type DicomTree,
  type SelectionCounts,
} from '../sources/dicom-listing.js';
import { attachSummary, summarizeSplit, treeFindings, type DicomSplitSummary } from '../sources/dicom-summary.js';
import { FileList } from '../sources/file-list.js';
import { defaultSaltDir, siteHasher, type PhiHasher } from '../sources/phi-hash.js';
import { ListingReport } from '../sources/problems.js';
import { volumeGenerators } from './dicom-volumes.js';
import { imageGenerators, infoError, resolveFrom, type SplitListing } from './image-setup.js';

type Split = 'train' | 'test';

/** One split's samples, what selecting them counted, and (where the split reports them) the folders they came from. */
interface SplitSamples {
  split: Split;
  samples: DicomSample[];
  counts: SelectionCounts;
  trees?: DicomTree[];
}

/** Hashes named in the error that refuses two exports sharing patients. */
const SHARED_NAMED = 5;

export class Dicom extends DataHandler {
  async getData(): Promise<DataSplits> {
    const info: DicomInfo = DicomInfoSchema.parse(this.info);
    const indexDir = info.index_dir ? resolveFrom(this.context.baseDir, info.index_dir) : defaultSaltDir();
    const hasher = await siteHasher(indexDir).catch((error: Error) => {
      throw infoError('index_dir', `cannot keep the header index and its hashing salt in ${indexDir}: ${error.message}`, error);
    });
    const labelsFile = resolveFrom(this.context.baseDir, info.labels);
    const labels = await readDicomLabels(labelsFile, info.key_column ?? info.label_key, info.label_column, hasher).catch((error: Error) => {
      throw infoError('labels', error.message);
    });
    const classNames = info.class_names ?? labels.labels();
    if (classNames.length === 0) throw infoError('labels', `${labelsFile} has no labelled rows`);
    const splits = await this.#samples(info, indexDir, hasher, (trees) =>
      selectSamples(
        trees,
        {
          sample: info.sample,
          slice: info.slice,
          modality: info.modality,
          bodyPart: info.body_part_examined,
          seriesDescription: info.series_description,
          labelKey: info.label_key,
        },
        labels,
        classNames,
      ),
    );
    const unmatched = labels.unmatchedLines();
    const generators =
      info.slice === 'volume'
        ? await volumeGenerators(
            info,
            classNames,
            splits.map(({ split, samples, trees }) => ({ split, samples, report: reportOf(trees), describe: describer(samples) })),
          )
        : await imageGenerators(
            // Every listing names its frames (sample, slice), so dicom_frames never applies here.
            { ...info, dicom_frames: 'first' },
            this.context.baseDir,
            classNames,
            splits.map(({ split, samples, trees }) => listing(split, samples, folderNames(info, split), trees)),
          );
    for (const { split, samples, counts, trees } of splits) {
      const summary: DicomSplitSummary = summarizeSplit(samples, classNames, counts, unmatched, trees);
      if (generators[split]) attachSummary(generators[split], summary);
    }
    return generators;
  }

  /** Index the folders, make samples, and split them: by patient for one export, as given (checked) for two. */
  async #samples(
    info: DicomInfo,
    indexDir: string,
    hasher: PhiHasher,
    select: (trees: DicomTree[]) => { samples: DicomSample[]; counts: SelectionCounts },
  ): Promise<SplitSamples[]> {
    const index = (key: 'path' | Split, folders: string | string[]) =>
      this.#trees(key, folders, indexDir, hasher, info.max_header_bytes, info.max_pixels);
    if (info.path !== undefined) {
      const trees = await index('path', info.path);
      const { samples, counts } = select(trees);
      refuseNone('path', samples, counts, trees);
      const { train, test, patients } = splitByPatient(samples, info.test_fraction, info.seed);
      if (info.test_fraction > 0 && patients < 2)
        throw infoError(
          'test_fraction',
          `the images come from ${patients} patient: a split by patient needs two (or set test_fraction: 0)`,
        );
      return [
        { split: 'train', samples: train, counts, trees },
        ...(test.length ? [{ split: 'test' as const, samples: test, counts }] : []),
      ];
    }
    const out: SplitSamples[] = [];
    for (const split of ['train', 'test'] as const) {
      const folders = info[split];
      if (folders === undefined) continue;
      const trees = await index(split, folders);
      const { samples, counts } = select(trees);
      refuseNone(split, samples, counts, trees);
      out.push({ split, samples, counts, trees });
    }
    const [train, test] = out;
    const shared = train && test ? sharedPatients(train.samples, test.samples) : [];
    if (shared.length > 0) {
      const named = shared.slice(0, SHARED_NAMED).join(', ');
      throw infoError(
        'test',
        `${shared.length} patient(s) have images in both train and test (by salted hash: ${named}${shared.length > SHARED_NAMED ? ', ...' : ''}): ` +
          'a test split must hold patients the model never saw; remove them from one export',
      );
    }
    return out;
  }

  async #trees(key: string, folders: string | string[], indexDir: string, hasher: PhiHasher, maxHeaderBytes: number, maxPixels: number) {
    const trees: DicomTree[] = [];
    for (const name of [folders].flat()) {
      const root = resolveFrom(this.context.baseDir, name);
      const index = await indexDicomTree(root, { cacheDir: indexDir, hasher, limits: { maxHeaderBytes, maxPixels } }).catch(
        (error: Error) => {
          throw infoError(key, error.message, error);
        },
      );
      trees.push({ name, index });
    }
    return trees;
  }
}

/** No sample at all: say what the folders held and why their images were left out, so the fix (filters, labels) is plain. */
function refuseNone(key: string, samples: DicomSample[], counts: SelectionCounts, trees: DicomTree[]): void {
  if (samples.length > 0) return;
  const found = treeFindings(trees);
  const why = imagesNotUsedText(counts);
  throw infoError(
    key,
    `no labelled images to read in ${found.folders.join(', ')}: ${found.files} files, ${found.images} DICOM images` +
      `${why ? ` (${why})` : ''}, ${found.nonImageCount} non-image objects, ` +
      `${found.unreadableCount} unreadable, ${found.notDicomCount} not DICOM (check the filters, \`labels\` and \`label_key\`)`,
  );
}

/** The folders a split's samples come from, as the config names them. */
function folderNames(info: DicomInfo, split: Split): string {
  return [info.path ?? info[split] ?? []].flat().join(', ');
}

/** The samples as a file list with each one's frame, and the trees' unusable files (if given) as the listing's problems. */
function listing(split: Split, samples: DicomSample[], source: string, trees: DicomTree[] | undefined): SplitListing {
  const files = new FileList();
  const frames = new Uint32Array(new SharedArrayBuffer(4 * Math.max(1, samples.length)), 0, samples.length);
  samples.forEach(({ tree, entry, frame, label }, i) => {
    files.addPath(tree.index.root, entry.path, label);
    frames[i] = frame;
  });
  return { split, source, files: files.seal(), report: reportOf(trees), frames, describe: describer(samples) };
}

/** The trees' unusable files (if given) as a listing's problems. */
function reportOf(trees: DicomTree[] | undefined): ListingReport {
  const report = new ListingReport();
  for (const { name, index } of trees ?? []) {
    for (const problem of index.walkProblems) report.problem(`${name}/${problem.path}`, problem.reason);
    for (const entry of index.entries) {
      if (entry.kind === 'unreadable') report.problem(`${name}/${entry.path}`, entry.reason);
      else if (entry.kind === 'non-image') report.problem(`${name}/${entry.path}`, `not an image: ${entry.reason}`, 'unused');
    }
  }
  return report;
}

/**
 * Samples named relative to the folder as configured, with the frame (or, for a volume, its slice count) and the
 * patient's salted hash (a preview shows them).
 */
function describer(samples: DicomSample[]): (index: number) => string {
  return (i) => {
    const { tree, entry, frame, slices } = samples[i]!;
    const kind = slices?.every((s) => s.entry === entry) && entry.frames > 1 ? 'frame' : 'slice';
    const which = slices
      ? ` volume of ${slices.length} ${kind}${slices.length === 1 ? '' : 's'}`
      : entry.frames > 1
        ? ` frame ${frame + 1} of ${entry.frames}`
        : '';
    return `${tree.name}/${entry.path}${which} (patient ${entry.patient})`;
  };
}
