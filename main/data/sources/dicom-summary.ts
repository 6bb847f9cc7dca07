// Runs anywhere in main: what a scan shows of a DICOM split: headers tallied, patients and studies per class, every file not used.
import { syntaxName } from '../decode/dicom/syntaxes.js';
import type { DicomSample, DicomTree, SelectionCounts } from './dicom-listing.js';

export interface Count<K> {
  key: K;
  count: number;
}

/** A file of a tree that is not an image to train on, named relative to the tree as the config names it. */
export interface TreeFinding {
  path: string;
  reason: string;
}

/** What indexing a split's folders found. Lists are capped; counts are exact. */
export interface TreeFindings {
  folders: string[];
  files: number;
  images: number;
  /** Headers read this time; the others came from the index on disk. */
  headersRead: number;
  nonImage: TreeFinding[];
  nonImageCount: number;
  unreadable: TreeFinding[];
  unreadableCount: number;
  notDicom: TreeFinding[];
  notDicomCount: number;
  notes: string[];
}

/**
 * A DICOM split in a scan. No identifier appears in the clear: patients are counted, and named only by their salted
 * hash where the operator must find them (patients on both sides of a split).
 */
export interface DicomSplitSummary {
  samples: number;
  patients: number;
  studies: number;
  classes: { key: string; samples: number; patients: number; studies: number }[];
  /** Over the image files the samples come from, each file once. */
  modalities: Count<string>[];
  transferSyntaxes: Count<string>[];
  bitsStored: Count<number>[];
  photometrics: Count<string>[];
  sizes: Count<string>[];
  frames: Count<number>[];
  selection: SelectionCounts;
  /** Labels rows no image of any split matched, by line number only (the keys are identifiers). */
  unmatchedLabelRows: { count: number; lines: number[] };
  /** Always 0 in a split by patient; two exports that share patients are refused, naming them by hash. */
  sharedPatients: number;
  /** The folders' findings; with one export split by patient they are the train split's. */
  trees?: TreeFindings;
}

const KEPT = 1000;

function counted<K>(keys: Iterable<K>): Count<K>[] {
  const counts = new Map<K, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count);
}

export function summarizeSplit(
  samples: DicomSample[],
  classNames: readonly string[],
  selection: SelectionCounts,
  unmatchedLines: number[],
  trees: DicomTree[] | undefined,
): DicomSplitSummary {
  // A volume's files are all its slices' files.
  const files = [...new Set(samples.flatMap((s) => s.slices?.map((slice) => slice.entry) ?? [s.entry]))];
  const distinct = (of: DicomSample[], key: 'patient' | 'study') => new Set(of.map((s) => s.entry[key])).size;
  return {
    samples: samples.length,
    patients: distinct(samples, 'patient'),
    studies: distinct(samples, 'study'),
    classes: classNames.map((key, label) => {
      const of = samples.filter((s) => s.label === label);
      return { key, samples: of.length, patients: distinct(of, 'patient'), studies: distinct(of, 'study') };
    }),
    modalities: counted(files.map((f) => f.modality ?? '(none)')),
    transferSyntaxes: counted(files.map((f) => `${f.transferSyntax} (${syntaxName(f.transferSyntax)})`)),
    bitsStored: counted(files.map((f) => f.bitsStored)),
    photometrics: counted(files.map((f) => f.photometric)),
    sizes: counted(files.map((f) => `${f.columns}x${f.rows}`)),
    frames: counted(files.map((f) => f.frames)),
    selection,
    unmatchedLabelRows: { count: unmatchedLines.length, lines: unmatchedLines.slice(0, KEPT) },
    sharedPatients: 0,
    ...(trees && { trees: treeFindings(trees) }),
  };
}

export function treeFindings(trees: DicomTree[]): TreeFindings {
  const findings: TreeFindings = {
    folders: trees.map((t) => t.name),
    files: 0,
    images: 0,
    headersRead: 0,
    nonImage: [],
    nonImageCount: 0,
    unreadable: [],
    unreadableCount: 0,
    notDicom: [],
    notDicomCount: 0,
    notes: [],
  };
  const note = (list: TreeFinding[], finding: TreeFinding) => list.length < KEPT && list.push(finding);
  for (const { name, index } of trees) {
    findings.headersRead += index.parsed;
    findings.notes.push(...index.notes);
    for (const problem of index.walkProblems) {
      findings.unreadableCount++;
      note(findings.unreadable, { path: `${name}/${problem.path}`, reason: problem.reason });
    }
    for (const entry of index.entries) {
      findings.files++;
      if (entry.kind === 'image') {
        findings.images++;
        continue;
      }
      const list = entry.kind === 'non-image' ? 'nonImage' : entry.kind === 'unreadable' ? 'unreadable' : 'notDicom';
      findings[`${list}Count`]++;
      note(findings[list], { path: `${name}/${entry.path}`, reason: entry.reason });
    }
  }
  return findings;
}

const summaries = new WeakMap<object, DicomSplitSummary>();

/** Kept beside the split's generator (which is the image files generator every built-in uses), for scans to find. */
export function attachSummary(generator: object, summary: DicomSplitSummary): void {
  summaries.set(generator, summary);
}

export function dicomSummaryOf(generator: object): DicomSplitSummary | undefined {
  return summaries.get(generator);
}
