// Runs as `npm run bench:medical`: the Dicom handler against pydicom + numpy + PIL on the same mixed DICOM tree, same run, alternated; memory at 10x.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { table } from '../main/cli/table.js';
import { machine, recordInDocs, repoRoot, round, type BenchResult } from './lib/report.js';

const run = promisify(execFile);
const SYNTAXES = ['explicit', 'implicit', 'deflated', 'rle', 'jpeg-baseline', 'jpeg-lossless', 'jpeg-ls', 'j2k'] as const;
const dir = path.join(repoRoot, 'bench', 'out', 'medical');
const reference = path.join(repoRoot, 'bench', 'reference', 'medical_reference.py');
/** Each Tributary run's header index and decoded cache, new per run (the cold epoch finds the cache empty); removed at the end. */
const scratch = path.join(dir, 'runs');

const { values } = parseArgs({
  options: {
    // The smallest tree; its tenth is read too, for memory as the tree grows 10x.
    files: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '1' },
  },
});
const FILES = Number(values.files);
const TENTH = Math.round(FILES / 10);
const ROUNDS = Number(values.rounds);
if (!(Number.isInteger(FILES) && FILES >= 160 && Number.isInteger(ROUNDS) && ROUNDS >= 1))
  throw new Error('--files is a whole number from 160 (the tree; a tenth of it is read too, for memory), --rounds from 1');

interface TributaryRun {
  setup_seconds: number;
  samples: number;
  epochs: { seconds: number; images: number; images_per_s: number; skipped: number }[];
  peak_rss_mb: number;
}

let runs = 0;
/** Each run is its own process, so its peak RSS is its own. */
async function tributary(root: string, labels: string): Promise<TributaryRun> {
  const script = fileURLToPath(new URL(`./medical-run.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
  const own = path.join(scratch, String(runs++));
  const args = [
    ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []),
    script,
    ...['--root', root, '--labels', labels, '--index-dir', path.join(own, 'index'), '--cache-dir', path.join(own, 'cache')],
  ];
  const { stdout } = await run(process.execPath, args, { cwd: dir, maxBuffer: 1 << 20 });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as TributaryRun;
  const skipped = result.epochs.reduce((n, e) => n + e.skipped, 0);
  if (skipped > 0) throw new Error(`Tributary skipped ${skipped} samples of ${root}: the tree must decode whole to be compared`);
  return result;
}

interface ReferenceRun {
  images: number;
  seconds: number;
  peak_rss_mb: number;
}

async function python(root: string): Promise<ReferenceRun> {
  const { stdout } = await run('/usr/bin/python3', [reference, 'read', root, '224', '40', '400', '32'], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim()) as ReferenceRun;
}

async function makeTree(files: number): Promise<string> {
  console.error(`making the ${files}-file tree (kept in ${dir} for the next run)...`);
  await run('/usr/bin/python3', [reference, 'make', dir, String(files)], { maxBuffer: 1 << 20, timeout: 3_600_000 });
  return path.join(dir, `tree-${files}`);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Row {
  images: number;
  reference: number[];
  referenceRss: number[];
  cold: number[];
  coldWithIndex: number[];
  warm: number[];
  rss: number[];
}

const loads: number[] = [];
async function measure(row: Row, root: string, labels: string, withReference: boolean): Promise<void> {
  loads.push(os.loadavg()[0]!);
  if (withReference) {
    const py = await python(root);
    row.reference.push(py.images / py.seconds);
    row.referenceRss.push(py.peak_rss_mb);
  }
  const ours = await tributary(root, labels);
  const [cold, warm] = ours.epochs;
  row.images = ours.samples;
  row.cold.push(cold!.images_per_s);
  row.coldWithIndex.push(cold!.images / (cold!.seconds + ours.setup_seconds));
  row.warm.push(warm!.images_per_s);
  row.rss.push(ours.peak_rss_mb);
}

const newRow = (): Row => ({ images: 0, reference: [], referenceRss: [], cold: [], coldWithIndex: [], warm: [], rss: [] });

await fsp.rm(scratch, { recursive: true, force: true }); // what an interrupted run left
const tree = await makeTree(FILES);
const tenth = await makeTree(TENTH);
const rows: Record<string, Row> = { mixed: newRow() };
for (let r = 0; r < ROUNDS; r++) {
  console.error(`round ${r + 1} of ${ROUNDS}: the mixed ${FILES}-file tree, pydicom then Tributary...`);
  await measure(rows.mixed!, tree, path.join(tree, 'labels.csv'), true);
}
for (const syntax of SYNTAXES) {
  console.error(`${syntax}: its ${FILES / SYNTAXES.length} files alone, pydicom then Tributary...`);
  await measure((rows[syntax] = newRow()), path.join(tree, syntax), path.join(tree, 'labels.csv'), true);
}
console.error(`the ${TENTH}-file tree (Tributary only: its memory at a tenth of the tree)...`);
const small = newRow();
await measure(small, tenth, path.join(tenth, 'labels.csv'), false);
await fsp.rm(scratch, { recursive: true, force: true });

const load = round(mean(loads));
const summary = (row: Row) => {
  const ref = row.reference.length ? mean(row.reference) : undefined;
  const cold = mean(row.cold);
  const warm = mean(row.warm);
  return {
    images: row.images,
    reference_images_per_s: ref === undefined ? null : round(ref, 1),
    reference_peak_rss_mb: row.referenceRss.length ? round(Math.max(...row.referenceRss), 1) : null,
    tributary_cold_images_per_s: round(cold, 1),
    tributary_cold_with_index_images_per_s: round(mean(row.coldWithIndex), 1),
    tributary_warm_images_per_s: round(warm, 1),
    tributary_peak_rss_mb: round(Math.max(...row.rss), 1),
    cold_vs_reference: ref === undefined ? null : round(cold / ref),
    warm_vs_reference: ref === undefined ? null : round(warm / ref),
  };
};
const summaries = Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, summary(row)]));
const smallSummary = summary(small);
const mixed = summaries.mixed!;
const rssGrowth = round(mixed.tributary_peak_rss_mb / smallSummary.tributary_peak_rss_mb);
const metrics = {
  files: FILES,
  files_tenth: TENTH,
  rounds: ROUNDS,
  load_avg_1min: load,
  ...summaries,
  mixed_tenth: smallSummary,
};
const ratios: Record<string, number | null> = {
  cold_vs_reference: mixed.cold_vs_reference,
  warm_vs_reference: mixed.warm_vs_reference,
  rss_10x_vs_1x: rssGrowth,
  ...Object.fromEntries(SYNTAXES.map((s) => [`${s}_cold_vs_reference`, summaries[s]!.cold_vs_reference])),
};

const lines = [...Object.entries(summaries), [`mixed, ${TENTH} files`, smallSummary] as const].map(([name, s]) => [
  name === 'mixed' ? `mixed, ${FILES} files` : name,
  s.images,
  s.reference_images_per_s ?? '-',
  s.tributary_cold_images_per_s,
  s.tributary_cold_with_index_images_per_s,
  s.tributary_warm_images_per_s,
  s.cold_vs_reference ?? '-',
  s.warm_vs_reference ?? '-',
  s.tributary_peak_rss_mb,
  s.reference_peak_rss_mb ?? '-',
]);
const report = table(
  ['tree', 'images', 'pydicom/s', 'cold/s', 'cold+index/s', 'warm/s', 'cold x', 'warm x', 'RSS MB', 'pydicom RSS MB'],
  lines,
);
console.log(report);

const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED');
const targets = [
  '| target | measured | |',
  '|---|---|---|',
  `| cold first epoch >= 3x the reference | ${mixed.cold_vs_reference}x ` +
    `(${mixed.tributary_cold_images_per_s} against ${mixed.reference_images_per_s} images/s) | ` +
    `${verdict(mixed.cold_vs_reference === null ? null : mixed.cold_vs_reference >= 3)} |`,
  `| warm (decoded cache) >= 20x | ${mixed.warm_vs_reference}x (${mixed.tributary_warm_images_per_s} images/s) | ` +
    `${verdict(mixed.warm_vs_reference === null ? null : mixed.warm_vs_reference >= 20)} |`,
  `| peak RSS < 400 MB | ${mixed.tributary_peak_rss_mb} MB (${FILES} files), ${smallSummary.tributary_peak_rss_mb} MB (${TENTH}) | ` +
    `${verdict(Math.max(mixed.tributary_peak_rss_mb, smallSummary.tributary_peak_rss_mb) < 400)} |`,
  `| RSS flat as the tree grows 10x, ${TENTH} to ${FILES} files (<= 1.2x) | ${rssGrowth}x | ${verdict(rssGrowth <= 1.2)} |`,
].join('\n');
const result: BenchResult = { bench: 'medical', metrics, ratios, machine: machine() };
const file = await recordInDocs(
  result,
  `## DICOM tree (\`npm run bench:medical\`)

\`npm run bench:medical -- --files ${FILES}\`: a mixed tree of ${FILES} CT-like DICOM files (${mixed.images} images: one file in
four has 3 frames, and every frame is a sample) made by \`bench/reference/medical_reference.py\` with the fixtures'
makers (dcmtk and gdcmconv encode, pydicom writes), spread evenly over explicit and implicit VR little endian,
deflated, RLE, JPEG baseline (8-bit, slope 8), JPEG lossless SV1, JPEG-LS and JPEG 2000 (lossless), 256, 384 and
512 pixels square. Read through the \`Dicom\` handler (\`sample: frame\`, shuffled, \`window: [40, 400]\`, 224 x 224
float32, batches of 32, \`cache: true\`; a new header index and decoded cache per run) against what a site would
write in Python (\`pydicom.dcmread\` + \`pixel_array\` with python3-gdcm, numpy rescale and window, PIL float bilinear
resize, batches of 32, files in walk order). Each row alternates pydicom then Tributary on the same files in one
run (the mixed tree ${ROUNDS} times); the per-syntax rows read each syntax's folder alone. "cold" is Tributary's first
epoch (decoded cache empty), "cold+index" adds building the header index, "warm" is the second epoch, from the
decoded cache; the reference has no cache, so each of its epochs costs the same (its files are in the page cache as
for every run after the tree is made). The last row is Tributary alone on a ${TENTH}-file tree made the same way:
its peak RSS against the ${FILES}-file tree's is the 10x growth. (\`--files\` sets the tree, default 2,000, the
issue's smallest; \`--rounds\` how often the mixed tree is alternated, default 1.)
1-minute load average ${load} over the runs: the machine was shared with other jobs, so rates are noisy and only
the same-run ratios mean much.

${targets}

\`\`\`
${report}
\`\`\``,
);
console.log(`\nrecorded in ${file}`);
console.log(JSON.stringify(result));
