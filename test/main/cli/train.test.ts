// Tests (Node, a real training thread, real tfjs, the sample PNGs): `tributary train` in-process and as a real process:
// what it prints, its log, Ctrl-C, bad usage.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { captureConsole } from './console-capture.js';
import { main } from '../../../main/cli/index.js';
import { tempDir } from '../../fixtures/corpus.js';
import { forEachBackend, isRequired, whyAbsent } from '../engine/backends.js';

const examples = fileURLToPath(new URL('../../../examples/', import.meta.url));
const IMAGE_FOLDER = path.join(examples, 'image-folder', 'party.yaml');
const MNIST_HANDLER = path.join(examples, 'mnist-handler', 'party.yaml');
/** With tfjs-node built, both backends start and the probe's rates choose between them (a rate measured or cached). */
const RATE = String.raw`(tensorflow|wasm) \d+(\.\d)? samples/s( \(first step only(, \d+ samples)?\))?`;
const PROBED = new RegExp(
  String.raw`^backend: (tensorflow \(TensorFlow \d+\.\d+\.\d+; step: one TensorFlow graph|wasm \((no )?simd, \d+ threads?(: [^;]*)?); ` +
    String.raw`probe: ${RATE}, ${RATE}, (in \d+\.\d s|cached \d{4}-\d\d-\d\d)\)$`,
  'm',
);
/** The line where tfjs-node is built (CI requires it: scripts/build-tfjs-node.sh), and where it is not. */
const BACKEND_LINE =
  whyAbsent('tensorflow') === undefined || isRequired('tensorflow')
    ? PROBED
    : /^backend: wasm \((no )?simd, \d+ threads?(: .*)?\); tensorflow not used: @tensorflow\/tfjs-node is not installed/;
/** tfjs's "Hi, looks like you are running TensorFlow.js in Node.js..." banner. */
const BANNER = /TensorFlow\.js in Node\.js|=====/;

const { spies, printed, complained, progressWritten } = captureConsole({ stderr: true });
// The backend probe's cache, here and not in ~/.cache; the training threads and the CLI's processes inherit it.
vi.stubEnv('TRIBUTARY_CACHE_DIR', await tempDir('tributary-train-cache-'));

describe('tributary train', () => {
  it('reports the backend, trains mnist-cnn on the sample PNGs with progress, and prints the evaluation with its confusion matrix', async () => {
    const logFile = path.join(await tempDir(), 'run.jsonl');
    expect(await main(['train', '--config', IMAGE_FOLDER, '--epochs', '1', '--log', logFile])).toBe(0);
    const out = printed();
    const lines = out.split('\n');
    expect(lines[0]).toMatch(BACKEND_LINE);
    expect(lines[1]).toBe('data: 1000 train, 200 test samples of 28x28x1, 10 classes');
    expect(lines[2]).toBe('model: mnist_cnn, 34,826 parameters; adam, learning rate 0.001, batch size 64, loss categoricalCrossentropy');
    expect(lines[3]).toMatch(/^epoch 1\/1: loss \d+\.\d{4}, accuracy 0\.\d{4}, 1000 samples in \d+\.\d s \(\d+ samples\/s\)$/);
    expect(lines[4]).toMatch(/^test: loss \d+\.\d{4}, accuracy 0\.\d{4} \(200 samples\)$/);
    expect(lines[6]).toMatch(/^true class\s+samples\s+accuracy\s+0\s+1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9$/);
    const rows = lines.slice(8).map((line) => line.split(/\s+/));
    expect(rows.map((row) => row.slice(0, 2).join(' '))).toEqual([
      '0 0-tshirt-top',
      '1 1-trouser',
      '2 2-pullover',
      '3 3-dress',
      '4 4-coat',
      '5 5-sandal',
      '6 6-shirt',
      '7 7-sneaker',
      '8 8-bag',
      '9 9-ankle-boot',
    ]);
    rows.forEach((row, c) => {
      const [samples, accuracy, ...predicted] = row.slice(2).map(Number);
      expect(samples).toBe(20);
      expect(predicted.reduce((a, b) => a + b, 0)).toBe(20);
      expect(accuracy).toBeCloseTo(predicted[c]! / 20, 4);
    });
    expect(progressWritten()).toMatch(
      /^epoch 1\/1 {2}batch 1\/16 {2}loss \d+\.\d{4} {2}accuracy 0\.\d{4} {2}\d+ samples\/s {2}ETA \d+:\d\d$/m,
    );
    expect(`${out}\n${complained()}\n${progressWritten()}`).not.toMatch(BANNER);

    const events = (await fsp.readFile(logFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; backend?: { description: string } });
    expect(events.map((e) => e.event)).toEqual(['start', 'opened', 'epoch', 'evaluated']);
    expect(events[1]!.backend!.description).toBe(lines[0]);
  });

  it('trains exactly --steps batches: a whole epoch, then a partial one reported as an epoch, then evaluates', async () => {
    const logFile = path.join(await tempDir(), 'run.jsonl');
    expect(await main(['train', '--config', IMAGE_FOLDER, '--steps', '20', '--log', logFile])).toBe(0);
    const lines = printed().split('\n');
    // 1000 samples in batches of 64: 16 batches, then 4 more (256 samples).
    expect(lines[3]).toMatch(/^epoch 1\/2: loss \d+\.\d{4}, accuracy 0\.\d{4}, 1000 samples in /);
    expect(lines[4]).toMatch(/^epoch 2\/2: loss \d+\.\d{4}, accuracy 0\.\d{4}, 256 samples in /);
    expect(lines[5]).toMatch(/^test: loss /);
    const events = (await fsp.readFile(logFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; steps?: number });
    expect(events.map((e) => e.event)).toEqual(['start', 'opened', 'epoch', 'epoch', 'evaluated']);
    expect(events[0]!.steps).toBe(20);
  });

  it('returns 2 for bad usage, and for a config without a model, before starting a training thread', async () => {
    expect(await main(['train', '--config', IMAGE_FOLDER, '--epochs', '0'])).toBe(2);
    expect(complained()).toBe('tributary train: --epochs takes a whole number >= 1, not 0');
    spies.error.mockClear();
    expect(await main(['train', '--config', IMAGE_FOLDER, '--steps', '2.5'])).toBe(2);
    expect(complained()).toBe('tributary train: --steps takes a whole number >= 1, not 2.5');
    spies.error.mockClear();
    expect(await main(['train', '--config', IMAGE_FOLDER, '--epochs', '1', '--steps', '3'])).toBe(2);
    expect(complained()).toBe('tributary train: --epochs and --steps: give one or the other');
    spies.error.mockClear();
    expect(await main(['train', '--config', IMAGE_FOLDER, '--backend', 'gpu'])).toBe(2);
    expect(complained()).toBe('tributary train: --backend gpu: use one of auto, tensorflow, wasm, cpu');
    spies.error.mockClear();
    expect(await main(['train'])).toBe(2);
    expect(complained()).toBe('tributary train: --config is required');
    spies.error.mockClear();
    const noModel = path.join(await tempDir(), 'party.yaml');
    await fsp.writeFile(
      noModel,
      (await fsp.readFile(IMAGE_FOLDER, 'utf8'))
        .replace(/^model:[\s\S]*/m, '')
        .replaceAll('../../assets', path.resolve(examples, '../assets')),
    );
    expect(await main(['train', '--config', noModel])).toBe(2);
    expect(complained()).toMatch(new RegExp(`^tributary train: ${noModel}: model: missing: training needs a \`model:\` section`));
    expect(printed()).toBe('');
  });
});

describe('tributary train as a process', () => {
  it('stops on Ctrl-C within a batch and exits cleanly with 130, without tfjs banners, on the cpu backend', async () => {
    const run = runCli(['train', '--config', MNIST_HANDLER, '--backend', 'cpu', '--epochs', '500']);
    await run.waitFor(/batch \d+\/16/);
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.done;
    expect(code).toBe(130);
    expect(stdout).toMatch(/^backend: cpu \(requested\)$/m);
    expect(stdout).toMatch(/^stopped by Ctrl-C after \d+ samples \(\d+ whole epochs\)$/m);
    expect(stdout).not.toMatch(/^test:/m);
    expect(stderr).toContain('warning: the cpu backend is plain JavaScript');
    expect(stderr).toContain('stopping at the end of this batch (Ctrl-C again to quit at once)');
    expect(`${stdout}${stderr}`).not.toMatch(BANNER);
    expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
  });
});

forEachBackend(() => {
  it('trains in a fresh process that exits by itself, with none of TensorFlow INFO lines on stderr', async () => {
    const { code, stdout, stderr } = await runCli(['train', '--config', IMAGE_FOLDER, '--epochs', '1']).done;
    expect(code).toBe(0);
    expect(stdout).toMatch(PROBED);
    expect(stdout).toMatch(/^test: loss \d+\.\d{4}, accuracy 0\.\d{4} \(200 samples\)$/m);
    expect(stderr).not.toMatch(/cpu_feature_guard/); // "This TensorFlow binary is optimized to use available CPU instructions ..."
  });
}, ['tensorflow']);

/** The CLI's main() from source in a fresh Node, as bin/tributary.js runs the compiled one. */
function runCli(argv: string[]): {
  child: ReturnType<typeof spawn>;
  waitFor: (pattern: RegExp) => Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  const cli = new URL('../../../main/cli/index.ts', import.meta.url).href;
  const script = `const { main } = await import(${JSON.stringify(cli)}); process.exitCode = await main(${JSON.stringify(argv)});`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiting: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
    for (const wait of waiting.filter((w) => w.pattern.test(stderr))) wait.resolve();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ pattern, resolve });
      void done.then(() => reject(new Error(`the CLI ended before printing ${pattern}:\n${stdout}\n${stderr}`)));
    });
  return { child, waitFor, done };
}
