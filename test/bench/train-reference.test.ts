// Tests bench:train's Python references: their argument checks, their data (the very pixels Tributary resizes), and a tiny run in the bench's venv.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VENV_DIR, VENV_READY } from '../../bench/lib/venv.js';
import { decodeImage } from '../../main/data/decode/image.js';
import { encodePng } from '../../main/data/decode/png-encode.js';

const run = promisify(execFile);
const REFERENCE = path.resolve('bench', 'reference');
const FASHION_MNIST = '/usr/share/datasets/fashion-mnist';
/** Debian's interpreter with python3-numpy, which .ci/run installs; the reference's data code needs numpy only. */
const SYSTEM_PYTHON = '/usr/bin/python3';
const VENV_PYTHON = path.join(VENV_DIR, 'bin', 'python');
const env = { ...process.env, PYTHONPATH: undefined, PYTHONHOME: undefined, TF_CPP_MIN_LOG_LEVEL: '2' };

describe('train_reference.py arguments', () => {
  it('refuses a warm-up that leaves no step to time, naming the flags', async () => {
    const refused = run(
      SYSTEM_PYTHON,
      [path.join(REFERENCE, 'train_reference.py'), '--framework', 'torch', '--model', 'resnet', '--steps', '5', '--warmup', '5'],
      { env },
    );
    await expect(refused).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--warmup (5) must be less than --steps (5)') });
  });

  it('refuses a model the bench does not have', async () => {
    const refused = run(SYSTEM_PYTHON, [path.join(REFERENCE, 'train_reference.py'), '--framework', 'keras', '--model', 'vgg16'], { env });
    await expect(refused).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining("invalid choice: 'vgg16'") });
  });
});

describe.skipIf(!existsSync(path.join(FASHION_MNIST, 't10k-images-idx3-ubyte.gz')))(
  'reference_data.py (needs dataset-fashion-mnist)',
  () => {
    it("resizes to the pixels Tributary's image decoder gives for the same image, within one level", async () => {
      const script = [
        'import json, sys',
        `sys.path.insert(0, ${JSON.stringify(REFERENCE)})`,
        'import reference_data as r',
        `x, y = r.load_split(${JSON.stringify(FASHION_MNIST)}, 't10k')`,
        'chosen = r.first_per_class(y, 1)',
        'print(json.dumps({"labels": y[chosen].tolist(), "source": x[chosen[:4]].reshape(4, -1).tolist(),',
        '  "64": r.resize_bilinear(x[chosen[:4]], 64).reshape(4, -1).tolist(), "96": r.resize_bilinear(x[chosen[:4]], 96).reshape(4, -1).tolist()}))',
      ].join('\n');
      const { stdout } = await run(SYSTEM_PYTHON, ['-c', script], { env, maxBuffer: 1 << 24 });
      const printed = JSON.parse(stdout) as { labels: number[]; source: number[][]; 64: number[][]; 96: number[][] };
      expect([...printed.labels].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // one test image of each class
      for (const side of [64, 96] as const) {
        for (const [i, source] of printed.source.entries()) {
          const png = encodePng({ data: Uint8Array.from(source), width: 28, height: 28, channels: 1 });
          const decoded = await decodeImage(png, { height: side, width: side, channels: 1, interpolation: 'bilinear', maxPixels: 1 << 20 });
          const worst = Math.max(...Array.from(decoded.pixels, (value, k) => Math.abs(value - printed[side][i]![k]!)));
          expect(worst, `image ${i} at ${side}x${side}`).toBeLessThanOrEqual(1);
        }
      }
    });
  },
);

// The venv is built by `npm run bench:train` (pip, minutes, about 2 GB), never by CI: without it this is skipped. The run
// takes about 5 s of CPU (importing torch, reading the IDX files); the timeout allows for a machine loaded many times over.
const venvReady = existsSync(VENV_READY);
const venvSuite = `the references in the bench venv${venvReady ? '' : ' (skipped: .bench/venv is not built; npm run bench:train makes it)'}`;
describe.skipIf(!venvReady)(venvSuite, () => {
  it('trains mnist-cnn for 3 PyTorch steps and prints finite measurements', async () => {
    const args = ['--framework', 'torch', '--model', 'mnist-cnn', '--batch', '8', '--steps', '3', '--warmup', '1', '--test-per-class', '2'];
    const { stdout } = await run(VENV_PYTHON, [path.join(REFERENCE, 'train_reference.py'), ...args], { env });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
    expect(result).toMatchObject({ parameters: 34_826, steps: 3, batch: 8, test_samples: 20 });
    for (const key of ['samples_per_s', 'cpu_cores', 'loss_at', 'peak_rss_mb']) expect(result[key], key).toBeGreaterThan(0);
    expect(result.test_acc).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
