// Tests (Node, real files nibabel and Pillow write at test time, real decode threads): a NIfTI volume as one 3-D sample:
// config, resampling in float (as Pillow's mode "F" resize, axis by axis), whole-volume intensity, 5-D batches and their checks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BatchProblem, checkBatch, type BatchContract } from '../../../main/data/batch-check.js';
import { Nifti } from '../../../main/data/builtins/nifti-handler.js';
import { makeBatch } from '../../../main/data/data-generator.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import { decodePng } from '../../../main/data/decode/png-decode.js';
import { windowValue } from '../../../main/data/intensity.js';
import type { NiftiSlicesGenerator } from '../../../main/data/nifti-generator.js';
import { previewSamples } from '../../../main/data/preview.js';
import { scanSplit } from '../../../main/data/scan.js';
import { formatScan } from '../../../main/cli/scan-command.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-nifti-volumes-'));
execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../fixtures/nifti-volumes.py'), dir], {
  stdio: 'pipe',
  timeout: 300_000,
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
process.env.TRIBUTARY_CACHE_DIR = path.join(dir, 'cache'); // the site's salt: this test's own

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await Promise.all([splits.train?.close(), splits.test?.close()]);
});

async function open(info: Record<string, unknown>): Promise<NiftiSlicesGenerator> {
  const splits = await new Nifti({ workers: 2, train: 'all.csv', slices: 'volume', shuffle: false, ...info }, { baseDir: dir }).getData();
  opened.push(splits);
  return splits.train as NiftiSlicesGenerator;
}

/** nibabel's values of a volume, axis 2 first ([k, i, j]): what its sample holds before intensity. */
function expected(file: string): Float32Array {
  const bytes = readFileSync(path.join(dir, file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

const SIZE = 5 * 8 * 6;
const fileOf = (generator: NiftiSlicesGenerator, index: number) => path.basename(generator.describeSample(index).split(' volume')[0]!);

describe('Nifti slices: volume', () => {
  it('makes each volume one sample of depth x height x width x channels, batches [n, d, h, w, c]', async () => {
    const train = await open({ batch_size: 4 });
    expect(train.sampleCount).toBe(16);
    expect(train.sampleShape).toEqual({ depth: 5, height: 8, width: 6, channels: 1 });
    const batch = await train.getBatch(0);
    expect(batch.shape).toEqual([4, 5, 8, 6, 1]);
    expect(batch.x.length).toBe(4 * SIZE);
    expect(train.describeSample(0)).toMatch(/vol-0\.nii\.gz volume, slices along axis 2$/);
  });

  it('min-max spans the whole volume, not each slice: values are nibabel’s (scl_slope applied) over the volume’s range', async () => {
    const train = await open({ window: 'minmax', on_bad_file: 'fail' });
    const batch = await train.readSamples(Uint32Array.from({ length: 16 }, (_, i) => i));
    let slicesNotSpanning = 0;
    for (let row = 0; row < 16; row++) {
      const values = expected(`${fileOf(train, batch.indices[row]!)}.f32`);
      let [min, max] = [Infinity, -Infinity];
      for (const v of values) [min, max] = [Math.min(min, v), Math.max(max, v)];
      const want = Float32Array.from(values, (v) => (v - min) / (max - min));
      const got = batch.x.subarray(row * SIZE, (row + 1) * SIZE);
      expect([...got]).toEqual([...want]);
      expect(batch.applied!.get(batch.indices[row]!)).toEqual({ kind: 'minmax', min, max });
      for (let z = 0; z < 5; z++) {
        const slice = got.subarray(z * 48, (z + 1) * 48);
        if (Math.min(...slice) > 0 || Math.max(...slice) < 1) slicesNotSpanning++;
      }
    }
    expect(slicesNotSpanning).toBeGreaterThan(16); // per-slice min-max would stretch every slice to 0..1
  });

  it('z-score standardises the whole volume', async () => {
    const train = await open({ window: 'zscore' });
    const batch = await train.readSamples(Uint32Array.of(3));
    const mean = batch.x.reduce((s, v) => s + v, 0) / SIZE;
    const std = Math.sqrt(batch.x.reduce((s, v) => s + (v - mean) ** 2, 0) / SIZE);
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(std).toBeCloseTo(1, 5);
    const slice0 = batch.x.subarray(0, 48);
    expect(Math.abs(slice0.reduce((s, v) => s + v, 0) / 48)).toBeGreaterThan(0.1); // a slice is not standardised on its own
  });

  it('resamples a volume of another size in float as Pillow would, slice by slice then along the depth', async () => {
    const [center, width] = [0, 800];
    const train = await open({ train: 'with-odd.csv', window: [center, width] });
    expect(train.sampleShape).toEqual({ depth: 5, height: 8, width: 6, channels: 1 }); // the first volume's size
    const odd = Array.from({ length: 3 }, (_, i) => i).find((i) => fileOf(train, i) === 'odd.nii.gz')!;
    const batch = await train.readSamples(Uint32Array.of(odd));
    const want = expected('odd.resized.f32');
    batch.x.forEach((v, i) => expect(v).toBeCloseTo(windowValue(want[i]!, center, width), 5));
  });

  it('volume_size sets depth, height and width; rgb repeats the one channel', async () => {
    const train = await open({ volume_size: [3, 4, 4], color_mode: 'rgb', batch_size: 2 });
    expect(train.sampleShape).toEqual({ depth: 3, height: 4, width: 4, channels: 3 });
    const batch = await train.getBatch(0);
    expect(batch.shape).toEqual([2, 3, 4, 4, 3]);
    for (let p = 0; p < batch.x.length; p += 3) expect([batch.x[p + 1], batch.x[p + 2]]).toEqual([batch.x[p], batch.x[p]]);
  });

  it('skips a volume whose gzip stream ends before its voxels by name, or stops under on_bad_file: fail', async () => {
    const whole = gunzipSync(readFileSync(path.join(dir, 'vol-0.nii.gz')));
    writeFileSync(path.join(dir, 'cut.nii.gz'), gzipSync(whole.subarray(0, 352 + 100))); // the header and 50 of its 240 voxels
    writeFileSync(path.join(dir, 'cut.csv'), 'file,label,patient\nvol-3.nii.gz,shallow,P1\ncut.nii.gz,deep,P2\nvol-6.nii.gz,deep,P3\n');
    const train = await open({ train: 'cut.csv' });
    const batch = await train.readSamples(Uint32Array.of(0, 1, 2));
    expect(batch.shape).toEqual([2, 5, 8, 6, 1]);
    expect(batch.skipped.map((s) => `${path.basename(s.source)}: ${s.reason}`)).toEqual([
      expect.stringMatching(/^cut\.nii\.gz volume, slices along axis 2: truncated: inflates to 452 bytes/),
    ]);
    const strict = await open({ train: 'cut.csv', on_bad_file: 'fail' });
    await expect(strict.readSamples(Uint32Array.of(1))).rejects.toThrow(/cut\.nii\.gz volume, slices along axis 2/);
  });

  it('volume_size without slices: volume, or beside image_size, is refused on its key', async () => {
    await expect(open({ slices: 'all', volume_size: [3, 4, 4] })).rejects.toThrow(/volume_size is for 3-D samples: set slices: volume/);
    await expect(open({ volume_size: [3, 4, 4], image_size: [4, 4] })).rejects.toThrow(/either volume_size .* or image_size, not both/);
  });

  it('sizes its prefetch by whole volumes, and reads an epoch into reused buffers of a volume batch’s size', async () => {
    const big = await open({ volume_size: [64, 128, 128], batch_size: 8 });
    expect(big.prefetch).toBe(2); // 8 volumes of 4 MB each: 64 MB of prefetch holds two batches, not the sixteen of 8 slices
    const train = await open({ batch_size: 5, window: 'minmax' });
    const seen: Float32Array[] = [];
    for await (const batch of train.iterateEpoch({ reuseBuffers: true })) seen.push(batch.x.slice());
    expect(seen.map((x) => x.length)).toEqual([5, 5, 5, 1].map((n) => n * SIZE));
    const again = await train.readSamples(Uint32Array.of(5, 6, 7, 8, 9));
    expect([...seen[1]!]).toEqual([...again.x]);
  });
});

describe('Nifti volumes in preview and scan', () => {
  it('previews a volume by its middle slice, saying so, with the whole volume’s value range', async () => {
    const train = await open({ window: 'minmax' });
    const { samples } = await previewSamples(train, { n: 3, seed: 4 });
    expect(samples).toHaveLength(3);
    const toPixel = train.displayPixel();
    for (const sample of samples) {
      expect([sample.height, sample.width, sample.channels]).toEqual([8, 6, 1]);
      expect(sample.volume).toBe('volume 5 x 8 x 6, middle slice 2 shown');
      expect(sample.range).toEqual([0, 1]); // the volume's: its middle slice alone need not reach 0 and 1
      const batch = await train.readSamples(Uint32Array.of(sample.index));
      const middle = batch.x.subarray(2 * 48, 3 * 48);
      const png = decodePng(sample.png, 1000);
      expect([png.width, png.height]).toEqual([6, 8]);
      expect([...png.data.filter((_, i) => i % png.channels === 0)]).toEqual(Array.from(middle, (v) => toPixel(v, 0)));
    }
  });

  it('scans volume samples: each volume one sample, the shape with its depth, and the CLI says so', async () => {
    const train = await open({});
    const scan = await scanSplit('train', train);
    expect(scan).toMatchObject({ samples: 16, readable: 16, sampleShape: { depth: 5, height: 8, width: 6, channels: 1 } });
    expect(scan.volumes).toHaveLength(16);
    for (const v of scan.volumes!) expect(v).toMatchObject({ sampledAs: 'volume', slices: 1, readable: 1, dims: [8, 6, 5] });
    const text = formatScan(scan);
    expect(text).toContain('16 readable, 0 unreadable; the model sees whole volumes of 5x8x6x1 (depth x height x width x channels)');
    expect(text).toMatch(/vol-0\.nii\.gz: 8x6x5 int16, spacing 1 x 1 x 1, one volume sample, read/);
  });
});

describe('the batch check of volume batches', () => {
  const contract = (depth?: number): BatchContract => ({
    sampleShape: { ...(depth !== undefined && { depth }), height: 2, width: 3, channels: 1 },
    classCount: 2,
    sampleCount: 4,
    asked: Uint32Array.of(0, 1),
    onNonFinite: 'fail',
    sampleName: (index) => `volume ${index}`,
  });
  const batch = (shape: { depth?: number; height: number; width: number; channels: number }, x = new Float32Array(2 * 4 * 6)) =>
    makeBatch({ x, shape, indices: Uint32Array.of(0, 1), labels: Int32Array.of(0, 1), numClasses: 2 });

  it('takes [n, d, h, w, c] from a volume generator, and names a 4-D batch or another depth', () => {
    expect(checkBatch(batch({ depth: 4, height: 2, width: 3, channels: 1 }), contract(4)).shape).toEqual([2, 4, 2, 3, 1]);
    const flat = batch({ height: 2, width: 3, channels: 1 }, new Float32Array(12));
    expect(() => checkBatch(flat, contract(4))).toThrow(
      new BatchProblem('shape is [2, 2, 3, 1]; it must be 5 whole numbers [rows, depth, height, width, channels]'),
    );
    expect(() => checkBatch(batch({ depth: 3, height: 2, width: 3, channels: 1 }, new Float32Array(36)), contract(4))).toThrow(
      new BatchProblem("shape is [2, 3, 2, 3, 1], but the generator's sampleShape is 4x2x3x1 (depth x height x width x channels)"),
    );
  });

  it('places a non-finite value by z, y, x and channel, and drops its row under skip', () => {
    const x = new Float32Array(2 * 4 * 6);
    x[24 + 2 * 6 + 1 * 3 + 2] = NaN; // row 1, z 2, y 1, x 2
    expect(() => checkBatch(batch({ depth: 4, height: 2, width: 3, channels: 1 }, x), contract(4))).toThrow(
      /^row 1 holds NaN at z 2, y 1, x 2, channel 0; sample: volume 1/,
    );
    const kept = checkBatch(batch({ depth: 4, height: 2, width: 3, channels: 1 }, x), { ...contract(4), onNonFinite: 'skip' });
    expect(kept.shape).toEqual([1, 4, 2, 3, 1]);
    expect(kept.skipped.map((s) => s.reason)).toEqual(['non-finite input: NaN at z 2, y 1, x 2, channel 0 (data.on_non_finite is "skip")']);
  });
});
