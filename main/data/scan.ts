// Runs anywhere in main: the scan of a split: counts per class, image sizes, channels and formats seen, every unreadable file.
import type { DataGenerator } from './data-generator.js';
import { DicomVolumesGenerator } from './dicom-volume-generator.js';
import { ImageFilesGenerator } from './image-generator.js';
import { NiftiSlicesGenerator, type VolumeSummary } from './nifti-generator.js';
import type { SampleShape, SkippedSample } from './types.js';
import { dicomSummaryOf, type DicomSplitSummary } from './sources/dicom-summary.js';
import type { ListingProblem } from './sources/problems.js';

export interface Tally<K> {
  key: K;
  count: number;
}

export interface SplitScan {
  split: 'train' | 'test';
  /** Samples listed; `readable` of them decode. */
  samples: number;
  readable: number;
  /** Readable samples per class, in label order (empty classes included, with 0). */
  classes: Tally<string>[];
  /** Original sizes as "WxH", channel counts and formats, where the generator can tell (image files). */
  sizes: Tally<string>[];
  channels: Tally<number>[];
  formats: Tally<string>[];
  /** What the model sees per sample. */
  sampleShape: SampleShape;
  unreadable: SkippedSample[];
  unreadableCount: number;
  /** What listing found and did not use: unreadable entries, unused folders (the first ones; the count is exact). */
  listingProblems: ListingProblem[];
  listingProblemCount: number;
  /** Files that are not images by their name, counted. */
  ignoredFiles: number;
  /** How this split is read, where the operator should know (e.g. why it runs without its cache). */
  notes: string[];
  /** The Dicom handler's splits: headers tallied, patients and studies per class, every file not used. */
  dicom?: DicomSplitSummary;
  /** NIfTI: each volume's dims, datatype, spacing, hashed subject and slices; distinct subjects per class. */
  volumes?: VolumeSummary[];
  subjects?: Tally<string>[];
}

export interface ScanProgress {
  split: 'train' | 'test';
  done: number;
  total: number;
}

export interface ScanOptions {
  onProgress?: (progress: ScanProgress) => void;
  signal?: AbortSignal;
}

const CHUNK = 64;
const UNREADABLE_KEPT = 1000;

class Counter<K> {
  readonly #counts = new Map<K, number>();
  add(key: K): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }
  tallies(): Tally<K>[] {
    return [...this.#counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count);
  }
}

/** Decode every sample once, the same way training will, and tally what was found. */
export async function scanSplit(split: 'train' | 'test', generator: DataGenerator, options: ScanOptions = {}): Promise<SplitScan> {
  const perClass = new Array<number>(generator.classNames.length).fill(0);
  const sizes = new Counter<string>(),
    channels = new Counter<number>(),
    formats = new Counter<string>();
  const unreadable: SkippedSample[] = [];
  let unreadableCount = 0,
    done = 0;
  const noteUnreadable = (s: SkippedSample) => {
    unreadableCount++;
    if (unreadable.length < UNREADABLE_KEPT) unreadable.push(s);
  };
  const step = (indices: Uint32Array) => {
    done += indices.length;
    options.onProgress?.({ split, done, total: generator.sampleCount });
  };
  const volumes = generator instanceof NiftiSlicesGenerator ? generator.volumeTally() : null;
  if (generator instanceof ImageFilesGenerator) {
    await eachChunk(generator.sampleCount, generator.pool().size * 2, options.signal, async (indices) => {
      const probed = await generator.probe(indices);
      probed.forEach((p, k) => {
        const index = indices[k]!;
        if (!p.ok) return noteUnreadable({ index, source: generator.describeSample(index), reason: p.reason! });
        perClass[generator.labelOf(index)]!++;
        sizes.add(`${p.width}x${p.height}`);
        channels.add(p.channels!);
        formats.add(p.format!);
      });
      step(indices);
    });
  } else {
    await eachChunk(generator.sampleCount, 2, options.signal, async (indices) => {
      const batch = await generator.readSamples(indices, options.signal);
      volumes?.add(batch.indices);
      batch.labels.forEach((label) => perClass[label]!++);
      batch.skipped.forEach(noteUnreadable);
      step(indices);
    });
  }
  const listed =
    generator instanceof ImageFilesGenerator || generator instanceof NiftiSlicesGenerator || generator instanceof DicomVolumesGenerator;
  const listing = listed ? generator.listing : undefined;
  return {
    split,
    samples: generator.sampleCount,
    readable: generator.sampleCount - unreadableCount,
    classes: generator.classNames.map((key, i) => ({ key, count: perClass[i]! })),
    sizes: volumes?.sizes() ?? sizes.tallies(),
    channels: channels.tallies(),
    formats: volumes?.formats() ?? formats.tallies(),
    sampleShape: generator.sampleShape,
    unreadable,
    unreadableCount,
    listingProblems: listing?.problems ?? [],
    listingProblemCount: listing?.problemCount ?? 0,
    ignoredFiles: listing?.ignoredFiles ?? 0,
    notes: generator instanceof ImageFilesGenerator ? [...generator.notes] : [],
    ...withDicom(generator),
    ...(volumes && { volumes: volumes.volumes(), subjects: volumes.subjects() }),
  };
}

function withDicom(generator: DataGenerator): { dicom?: DicomSplitSummary } {
  const dicom = dicomSummaryOf(generator);
  return dicom ? { dicom } : {};
}

/** Run `work` over 0..count in chunks, `parallel` chunks at a time, in order of start. */
async function eachChunk(
  count: number,
  parallel: number,
  signal: AbortSignal | undefined,
  work: (indices: Uint32Array) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      signal?.throwIfAborted();
      const start = next;
      next = Math.min(count, next + CHUNK);
      await work(Uint32Array.from({ length: next - start }, (_, k) => start + k));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
}
