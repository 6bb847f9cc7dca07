// Runs in the CLI process: `tributary scan --config party.yaml`: what each split holds and what cannot be read.
import { imagesNotUsedText } from '../../common/dicom-words.js';
import { scanSplit, type SplitScan } from '../data/scan.js';
import type { DataSplits } from '../data/data-handler.js';
import { describeShape } from '../data/sample-shape.js';
import type { DicomSplitSummary } from '../data/sources/dicom-summary.js';
import { progressBar } from './progress.js';
import { table } from './table.js';

const SHOWN_PROBLEMS = 20;

export async function scanAll(splits: DataSplits, showProgress = true): Promise<SplitScan[]> {
  const scans: SplitScan[] = [];
  for (const split of ['train', 'test'] as const) {
    const generator = splits[split];
    if (!generator) continue;
    const bar = showProgress ? progressBar(`scan ${split}`) : null;
    scans.push(await scanSplit(split, generator, { onProgress: (p) => bar?.update(p.done, p.total) }));
    bar?.finish();
  }
  return scans;
}

const tally = (counts: { key: string | number; count: number }[]) => counts.map((c) => `${c.key} x${c.count}`).join(', ');

/** The Dicom handler's findings: headers, patients and studies per class, and what was left out and why (counted). */
function dicomLines(d: DicomSplitSummary): string[] {
  const unmatched = d.unmatchedLabelRows;
  const perClass = d.classes.map((c) => `${c.key} ${c.patients}/${c.studies}`).join(', ');
  // Counted over the folders read, so printed where they are (one export split by patient: on the train split only).
  const left = d.trees ? imagesNotUsedText(d.selection) : '';
  return [
    `DICOM: patients ${d.patients}, studies ${d.studies}; per class: ${perClass} (patients/studies)`,
    `  modality: ${tally(d.modalities)}; transfer syntax: ${tally(d.transferSyntaxes)}`,
    `  bits stored: ${tally(d.bitsStored)}; photometric: ${tally(d.photometrics)}; size: ${tally(d.sizes)}; frames: ${tally(d.frames)}`,
    ...(left ? [`  images not used: ${left}`] : []),
    ...(unmatched.count ? [`  labels rows matching no image: ${unmatched.count} (lines ${unmatched.lines.slice(0, 20).join(', ')})`] : []),
    ...(d.trees ? treeLines(d.trees) : []),
  ];
}

function treeLines(t: NonNullable<DicomSplitSummary['trees']>): string[] {
  const lines = [
    `  ${t.folders.join(', ')}: ${t.files} files, ${t.images} images, ${t.nonImageCount} non-image, ${t.unreadableCount} unreadable, ` +
      `${t.notDicomCount} not DICOM (${t.headersRead} headers read, the rest from the index)`,
  ];
  // The unreadable and non-image files are the listing's problems, printed under "not used": only these are not.
  for (const f of t.notDicom.slice(0, SHOWN_PROBLEMS)) lines.push(`    ${f.path}: ${f.reason}`);
  return lines;
}

export function formatScan(scan: SplitScan): string {
  const shape = scan.sampleShape;
  const sees = shape.depth === undefined ? describeShape(shape) : `whole volumes of ${describeShape(shape, true)}`;
  const lines = [
    `${scan.split}: ${scan.samples} samples, ${scan.readable} readable, ${scan.unreadableCount} unreadable; the model sees ${sees}`,
    table(
      ['class', 'samples'],
      scan.classes.map((c) => [c.key, c.count]),
    ),
  ];
  const sizes = scan.volumes ? 'volume sizes (i x j x k)' : 'sizes (WxH)';
  if (scan.sizes.length) lines.push(`${sizes}: ${scan.sizes.map((s) => `${s.key} x${s.count}`).join(', ')}`);
  if (scan.channels.length) lines.push(`channels: ${scan.channels.map((s) => `${s.key} x${s.count}`).join(', ')}`);
  if (scan.formats.length) lines.push(`formats: ${scan.formats.map((s) => `${s.key} x${s.count}`).join(', ')}`);
  if (scan.dicom) lines.push(...dicomLines(scan.dicom));
  if (scan.subjects) lines.push(`subjects per class (distinct): ${scan.subjects.map((s) => `${s.key} ${s.count}`).join(', ')}`);
  for (const v of scan.volumes?.slice(0, SHOWN_PROBLEMS) ?? [])
    lines.push(
      `  ${v.file}: ${v.dims.join('x')} ${v.datatype}, spacing ${v.spacing.map((s) => Number(s.toPrecision(6))).join(' x ')}, ` +
        (v.sampledAs === 'volume'
          ? `one volume sample, ${v.readable ? 'read' : 'unreadable'}`
          : `${v.readable} of ${v.slices} slices read`),
    );
  if (scan.ignoredFiles) lines.push(`ignored (not images by name): ${scan.ignoredFiles} files`);
  for (const note of scan.notes) lines.push(`note: ${note}`);
  const problems = [...scan.unreadable.map((u) => [u.source, u.reason]), ...scan.listingProblems.map((p) => [p.path, p.reason])];
  const total = scan.unreadableCount + scan.listingProblemCount;
  if (total) {
    lines.push(`not used (${total}):`);
    for (const [where, why] of problems.slice(0, SHOWN_PROBLEMS)) lines.push(`  ${where}: ${why}`);
    if (total > SHOWN_PROBLEMS) lines.push(`  ... and ${total - SHOWN_PROBLEMS} more (--json lists the first ${problems.length})`);
  }
  return lines.join('\n');
}
