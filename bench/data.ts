// Runs as `npm run bench:data`: the data generator against the tutorial's own loop on Fashion-MNIST as a PNG tree, plus memory at 10x.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { table } from '../main/cli/table.js';
import { fashionMnistPngTree } from './datasets/fashion-mnist-png.js';
import { tenfoldTree } from './datasets/tenfold-tree.js';
import { machine, recordInDocs, repoRoot, round, type BenchResult } from './lib/report.js';
import { runTutorialReference } from './reference/tutorial.js';

const run = promisify(execFile);
const BATCH = 64;
const out = path.join(repoRoot, 'bench', 'out');

interface RunResult {
  setup_seconds: number;
  samples: number;
  epochs: { seconds: number; images: number; images_per_s: number; skipped: number }[];
  peak_rss_mb: number;
}

/** Each measured run is its own process, so its peak RSS is its own. */
async function generatorRun(root: string, epochs: number, cacheDir?: string): Promise<RunResult> {
  const script = fileURLToPath(new URL(`./data-run.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
  const args = [
    ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []),
    script,
    '--root',
    root,
    '--epochs',
    String(epochs),
    '--batch',
    String(BATCH),
  ];
  if (cacheDir) args.push('--cache', '--cache-dir', cacheDir);
  const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as RunResult;
}

/**
 * Each run gets a cache folder of its own, removed only after every measurement: deleting hundreds of MB just
 * before a run (the file system here discards freed blocks) slowed the run that followed by a third.
 */
const cacheRoot = path.join(out, 'cache', `run-${process.pid}`);
const cacheDir = (name: string) => path.join(cacheRoot, name);

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? round(a / b) : null);

async function main(): Promise<void> {
  await fsp.rm(path.join(out, 'cache'), { recursive: true, force: true }); // what an interrupted run left
  console.error('preparing Fashion-MNIST as a PNG tree and a synthetic tree ten times larger (cached after the first run)...');
  const tree = await fashionMnistPngTree(path.join(out, 'fashion-mnist-png'));
  const tenfold = path.join(out, 'fashion-mnist-png-x10');
  await tenfoldTree(tree.root, tenfold, 10);

  console.error('the tutorial generator (matplotlib imread per file, numpy batches), 3 epochs...');
  const tutorial = await runTutorialReference(tree.train, { batch: BATCH, epochs: 3 });
  console.error('Tributary: cached run, 5 epochs (cold, then from the decoded cache)...');
  const cached = await generatorRun(tree.root, 5, cacheDir('x1'));
  console.error('Tributary: uncached run, 2 epochs (decoding every epoch)...');
  const uncached = await generatorRun(tree.root, 2);
  console.error('Tributary: the 10x tree, cached run, 2 epochs...');
  const big = await generatorRun(tenfold, 2, cacheDir('x10'));

  // The reference's rate is its later epochs: its files are in the page cache by then, as they are for every run
  // measured after it. A first epoch that had to read the disk would flatter the ratios.
  const tutorialRate = tutorial.ok ? mean(tutorial.images_per_s.slice(1)) : undefined;
  const cold = cached.epochs[0]!.images_per_s;
  const warm = mean(cached.epochs.slice(1).map((e) => e.images_per_s));
  const metrics = {
    samples: cached.samples,
    batch: BATCH,
    cold_images_per_s: Math.round(cold),
    warm_images_per_s: Math.round(warm),
    uncached_later_images_per_s: Math.round(uncached.epochs[1]!.images_per_s),
    tutorial_images_per_s: tutorialRate && Math.round(tutorialRate),
    peak_rss_mb: round(cached.peak_rss_mb, 1),
    peak_rss_uncached_mb: round(uncached.peak_rss_mb, 1),
    peak_rss_10x_mb: round(big.peak_rss_mb, 1),
    samples_10x: big.samples,
    cold_10x_images_per_s: Math.round(big.epochs[0]!.images_per_s),
    warm_10x_images_per_s: Math.round(big.epochs[1]!.images_per_s),
    tutorial_peak_rss_mb: tutorial.ok ? round(tutorial.peak_rss_mb, 1) : null,
    tutorial_single_class_batches: tutorial.ok ? `${tutorial.single_class_batches}/${tutorial.batches}` : null,
    tutorial_note: tutorial.ok ? undefined : tutorial.note,
  };
  const ratios = {
    cold_vs_tutorial: ratio(cold, tutorialRate),
    warm_vs_tutorial: ratio(warm, tutorialRate),
    uncached_later_vs_tutorial: ratio(uncached.epochs[1]!.images_per_s, tutorialRate),
    rss_10x_vs_1x: round(big.peak_rss_mb / cached.peak_rss_mb),
  };
  const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'met' : 'MISSED');
  const markdown = [
    `Fashion-MNIST train split as the tutorial's PNG tree (${cached.samples} files of 28x28), batch ${BATCH}, images/s through the train generator.`,
    '',
    '| measure | value | target | |',
    '|---|---|---|---|',
    `| tutorial generator (reference) | ${metrics.tutorial_images_per_s ?? 'skipped'} images/s | | |`,
    `| cold first epoch | ${metrics.cold_images_per_s} images/s (${ratios.cold_vs_tutorial ?? '-'}x) | >= 3x | ` +
      `${verdict(ratios.cold_vs_tutorial === null ? null : ratios.cold_vs_tutorial >= 3)} |`,
    `| later epochs, decoded cache | ${metrics.warm_images_per_s} images/s (${ratios.warm_vs_tutorial ?? '-'}x) | >= 20x | ` +
      `${verdict(ratios.warm_vs_tutorial === null ? null : ratios.warm_vs_tutorial >= 20)} |`,
    `| later epochs, no cache | ${metrics.uncached_later_images_per_s} images/s (${ratios.uncached_later_vs_tutorial ?? '-'}x) | | |`,
    `| peak RSS, 1x | ${metrics.peak_rss_mb} MB | < 400 MB | ${verdict(metrics.peak_rss_mb < 400)} |`,
    `| peak RSS, 10x tree (${big.samples} files) | ${metrics.peak_rss_10x_mb} MB (${ratios.rss_10x_vs_1x}x) | <= 1.2x | ` +
      `${verdict(ratios.rss_10x_vs_1x <= 1.2)} |`,
    `| tutorial peak RSS | ${metrics.tutorial_peak_rss_mb ?? '-'} MB | | |`,
    `| tutorial batches holding a single class | ${metrics.tutorial_single_class_batches ?? '-'} | | |`,
    ...(tutorial.ok ? [] : ['', `Reference skipped: ${tutorial.note}`]),
  ].join('\n');
  const result: BenchResult = { bench: 'data', metrics, ratios, machine: machine() };
  console.log(
    table(
      ['run', 'epoch', 'images/s', 'seconds', 'skipped', 'peak RSS MB'],
      [
        ...(tutorial.ok
          ? tutorial.images_per_s.map((r, e) => [
              'tutorial (python)',
              e + 1,
              Math.round(r),
              round(tutorial.epoch_seconds[e]!),
              '-',
              round(tutorial.peak_rss_mb, 1),
            ])
          : []),
        ...[
          ['1x cached', cached],
          ['1x uncached', uncached],
          ['10x cached', big],
        ].flatMap(([name, r]) =>
          (r as RunResult).epochs.map((e, k) => [
            name as string,
            k + 1,
            Math.round(e.images_per_s),
            round(e.seconds),
            e.skipped,
            round((r as RunResult).peak_rss_mb, 1),
          ]),
        ),
      ],
    ),
  );
  await fsp.rm(cacheRoot, { recursive: true, force: true });
  console.log(`\nrecorded in ${await recordInDocs(result, markdown)}`);
  console.log(JSON.stringify(result));
}

await main();
