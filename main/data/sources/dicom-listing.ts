// Runs anywhere in main: DICOM index entries to labelled samples (image, frame or series slice), filtered, and split by patient.
import type { DicomLabelKey } from '../../../common/data-config.js';
import { heldOutSubjects, sharedSubjects } from '../subject-split.js';
import type { FileStamp, ImageEntry } from './dicom-header.js';
import type { DicomIndex } from './dicom-index.js';
import type { DicomLabels } from './dicom-labels.js';

export type ImageFile = FileStamp & ImageEntry;

/** A folder as the config names it, and its index. */
export interface DicomTree {
  name: string;
  index: DicomIndex;
}

/** One 2-D image: a frame of a file of a tree. */
export interface SliceRef {
  tree: DicomTree;
  entry: ImageFile;
  frame: number;
}

export interface DicomSample extends SliceRef {
  label: number;
  /** With slice: volume, the series' slices in depth order (the sample's own entry and frame are the first of them). */
  slices?: SliceRef[];
}

export interface DicomSelection {
  sample: 'image' | 'frame' | 'series';
  /** volume: the whole series, one 3-D sample (with sample: series). */
  slice: 'middle' | 'first' | 'last' | 'volume' | number;
  modality?: string[];
  bodyPart?: string[];
  seriesDescription?: string[];
  labelKey: DicomLabelKey;
}

/** Images listed but not made samples, by why; every count is exact. */
export interface SelectionCounts {
  images: number;
  filteredOut: { modality: number; bodyPart: number; seriesDescription: number };
  /** The same SOPInstanceUID in a second file (a copy in the export): the first file in path order is used. */
  duplicates: number;
  /** No PatientID: such an image cannot be put on one side of a split by patient. */
  noPatientId: number;
  /** No labels row has this image's key. */
  unlabelled: number;
  /** The row's label is not one of class_names. */
  labelNotInClasses: number;
  /** `slice` is a number past the slices of a series or the frames of an image. */
  sliceOutOfRange: number;
}

const KEY_OF: Record<DicomLabelKey, (entry: ImageEntry) => string | undefined> = {
  PatientID: (e) => e.patient,
  StudyInstanceUID: (e) => e.study,
  SeriesInstanceUID: (e) => e.series,
  SOPInstanceUID: (e) => e.instance,
};

/** The samples the images of `trees` make, in index order (series: in the order of their first image). */
export function selectSamples(
  trees: DicomTree[],
  selection: DicomSelection,
  labels: DicomLabels,
  classNames: readonly string[],
): { samples: DicomSample[]; counts: SelectionCounts } {
  const counts: SelectionCounts = {
    images: 0,
    filteredOut: { modality: 0, bodyPart: 0, seriesDescription: 0 },
    duplicates: 0,
    noPatientId: 0,
    unlabelled: 0,
    labelNotInClasses: 0,
    sliceOutOfRange: 0,
  };
  const kept = keptImages(trees, selection, counts);
  const classOf = new Map(classNames.map((name, i) => [name, i]));
  const samples: DicomSample[] = [];
  const add = (tree: DicomTree, entry: ImageFile, frame: number | undefined, slices?: SliceRef[]) => {
    const row = labels.lookup(KEY_OF[selection.labelKey](entry));
    const label = row && classOf.get(row.label);
    if (frame === undefined) counts.sliceOutOfRange++;
    else if (!row) counts.unlabelled++;
    else if (label === undefined) counts.labelNotInClasses++;
    else samples.push({ tree, entry, frame, label, ...(slices && { slices }) });
  };
  if (selection.sample === 'series') {
    for (const members of seriesOf(kept)) {
      const ordered = inSliceOrder(members);
      if (selection.slice === 'volume') {
        const slices = volumeSlices(ordered);
        add(slices[0]!.tree, slices[0]!.entry, slices[0]!.frame, slices);
        continue;
      }
      const single = ordered.length === 1 ? ordered[0]! : undefined;
      // A series that is one multi-frame file has its slices as frames.
      const at = pick(single ? single.entry.frames : ordered.length, selection.slice);
      if (single) add(single.tree, single.entry, at);
      else if (at === undefined) add(ordered[0]!.tree, ordered[0]!.entry, undefined);
      else add(ordered[at]!.tree, ordered[at]!.entry, pick(ordered[at]!.entry.frames, 'middle'));
    }
  } else {
    const { slice } = selection;
    if (slice === 'volume') throw new Error('slice: volume makes a series one sample: it goes with sample: series');
    for (const { tree, entry } of kept) {
      // `slice` chooses among a multi-frame file's frames; a single-frame image is its only frame, whatever it says.
      if (selection.sample === 'image') add(tree, entry, entry.frames === 1 ? 0 : pick(entry.frames, slice));
      else for (let frame = 0; frame < entry.frames; frame++) add(tree, entry, frame);
    }
  }
  return { samples, counts };
}

interface Kept {
  tree: DicomTree;
  entry: ImageFile;
}

/** Images that pass the filters, once per SOPInstanceUID, with a PatientID. */
function keptImages(trees: DicomTree[], selection: DicomSelection, counts: SelectionCounts): Kept[] {
  const upper = (values?: string[]) => values && new Set(values.map((v) => v.toUpperCase()));
  const modality = upper(selection.modality);
  const bodyPart = upper(selection.bodyPart);
  const description = selection.seriesDescription?.map((v) => v.toUpperCase());
  const seen = new Set<string>();
  const kept: Kept[] = [];
  for (const tree of trees) {
    for (const entry of tree.index.entries) {
      if (entry.kind !== 'image') continue;
      counts.images++;
      if (modality && !modality.has((entry.modality ?? '').toUpperCase())) counts.filteredOut.modality++;
      else if (bodyPart && !bodyPart.has((entry.bodyPart ?? '').toUpperCase())) counts.filteredOut.bodyPart++;
      else if (description && !description.some((d) => (entry.seriesDescription ?? '').toUpperCase().includes(d)))
        counts.filteredOut.seriesDescription++;
      else if (entry.instance !== undefined && seen.has(entry.instance)) counts.duplicates++;
      else if (entry.patient === undefined) counts.noPatientId++;
      else {
        if (entry.instance !== undefined) seen.add(entry.instance);
        kept.push({ tree, entry });
      }
    }
  }
  return kept;
}

/** Images grouped by SeriesInstanceUID (an image without one is a series of its own), in order of first appearance. */
function seriesOf(images: Kept[]): Kept[][] {
  const groups = new Map<string, Kept[]>();
  images.forEach((image, i) => {
    const key = image.entry.series ?? `no series ${i}`;
    const group = groups.get(key);
    if (group) group.push(image);
    else groups.set(key, [image]);
  });
  return [...groups.values()];
}

/** By position along the slice normal when every slice has one, else by InstanceNumber when every one has it, else by path. */
function inSliceOrder(members: Kept[]): Kept[] {
  const all = (has: (e: ImageFile) => boolean) => members.every((m) => has(m.entry));
  if (all((e) => e.position !== undefined)) return members.toSorted((a, b) => a.entry.position! - b.entry.position!);
  if (all((e) => e.instanceNumber !== undefined)) return members.toSorted((a, b) => a.entry.instanceNumber! - b.entry.instanceNumber!);
  return members;
}

/**
 * A series' slices in depth order: a series that is one multi-frame file has its frames as slices; in a series of
 * several files each file is one slice (its middle frame, as `sample: series` picks in a multi-frame member).
 */
function volumeSlices(ordered: Kept[]): SliceRef[] {
  if (ordered.length === 1) {
    const { tree, entry } = ordered[0]!;
    return Array.from({ length: entry.frames }, (_, frame) => ({ tree, entry, frame }));
  }
  return ordered.map(({ tree, entry }) => ({ tree, entry, frame: pick(entry.frames, 'middle')! }));
}

/** The index `slice` names among `count`, or undefined when a numbered slice is past the end. */
function pick(count: number, slice: Exclude<DicomSelection['slice'], 'volume'>): number | undefined {
  if (slice === 'first') return 0;
  if (slice === 'last') return count - 1;
  if (slice === 'middle') return Math.floor((count - 1) / 2);
  return slice < count ? slice : undefined;
}

/**
 * One export split by patient: the patients (hashes, so the split depends on the seed and the patients only, not on
 * the tree's layout) held out as every handler holds out subjects (heldOutSubjects).
 */
export function splitByPatient(
  samples: DicomSample[],
  fraction: number,
  seed: number,
): { train: DicomSample[]; test: DicomSample[]; patients: number } {
  const patients = new Set(samples.map((s) => s.entry.patient!));
  const test = heldOutSubjects(patients, fraction, seed);
  return {
    train: samples.filter((s) => !test.has(s.entry.patient!)),
    test: samples.filter((s) => test.has(s.entry.patient!)),
    patients: patients.size,
  };
}

/** The (hashed) patients with samples on both sides, sorted. */
export function sharedPatients(train: DicomSample[], test: DicomSample[]): string[] {
  const patient = (s: DicomSample) => s.entry.patient!;
  return sharedSubjects(train.map(patient), test.map(patient)).sort();
}
