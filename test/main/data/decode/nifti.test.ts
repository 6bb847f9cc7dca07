// Runs under vitest: the NIfTI decoder against nibabel's get_fdata() on fixtures nibabel writes at test time
// (test/fixtures/nifti-fixtures.py): every datatype, both byte orders, NIfTI-1 and -2, .nii and .nii.gz, scaling, and hostile files.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNiftiJob, type NiftiJob } from '../../../../main/data/decode/nifti/job.js';
import { intensitySpec } from '../../../../main/data/intensity.js';
import {
  decodeNiftiSlice,
  decodeNiftiVolume,
  NiftiDecodeError,
  readNiftiHeader,
  type Axis,
} from '../../../../main/data/decode/nifti/index.js';

interface Entry {
  name: string;
  file: string;
  dims?: [number, number, number];
  dtype?: string;
  version?: number;
  bigEndian?: boolean;
  gzip?: boolean;
  scaling?: [number, number] | null;
  spacing?: [number, number, number];
  error?: string[];
}

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-nifti-'));
// Debian's python3, where python3-nibabel and python3-numpy live (a pyenv python on PATH would not have them).
execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../../fixtures/nifti-fixtures.py'), dir], {
  stdio: 'pipe',
  timeout: 300_000,
});
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { files: Entry[] };
const volumes = manifest.files.filter((f) => f.dims);
const hostile = manifest.files.filter((f) => f.error);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function f32(file: string): Float32Array {
  const bytes = readFileSync(path.join(dir, file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

const at = (entry: Entry) => path.join(dir, entry.file);

describe('decodeNiftiVolume equals nibabel get_fdata() as float32, voxel for voxel', () => {
  it('has every datatype as .nii and .nii.gz, both byte orders of NIfTI-1 and -2, and scaled files', () => {
    for (const dtype of ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'])
      for (const gzip of [false, true]) expect(volumes.some((v) => v.dtype === dtype && v.gzip === gzip)).toBe(true);
    for (const version of [1, 2])
      for (const bigEndian of [false, true]) expect(volumes.some((v) => v.version === version && v.bigEndian === bigEndian)).toBe(true);
    expect(volumes.filter((v) => v.scaling && v.scaling[0] !== 0).length).toBeGreaterThanOrEqual(4);
  });

  it.each(volumes.map((v) => [v.name, v] as const))('%s', async (_, entry) => {
    const volume = await decodeNiftiVolume(at(entry));
    expect(volume.dims).toEqual(entry.dims);
    expect(volume.header.datatype).toBe(entry.dtype);
    expect(volume.header.version).toBe(entry.version);
    expect(volume.header.littleEndian).toBe(!entry.bigEndian);
    if (entry.dims![2] > 1) expect(volume.spacing.map((s) => Math.fround(s))).toEqual(entry.spacing!.map((s) => Math.fround(s)));
    const expected = f32(`${entry.name}.vol.f32`);
    expect(volume.data.length).toBe(expected.length);
    expect(firstDifference(volume.data, expected)).toBe(-1);
  });

  it('applies scl_slope and scl_inter (the scaled files differ from their raw voxels), and ignores both when the slope is 0', async () => {
    const ct = await decodeNiftiVolume(at(manifest.files.find((f) => f.name === 'ct-scaled')!));
    expect(ct.header.scaling).toEqual({ slope: 0.5, inter: -1024 });
    expect(Math.min(...ct.data)).toBeLessThan(-17000); // int16 minimum * 0.5 - 1024
    const zero = await decodeNiftiVolume(at(manifest.files.find((f) => f.name === 'slope-zero')!));
    expect(zero.header.scaling).toBeNull();
    expect(zero.data.every((v) => Number.isInteger(v))).toBe(true);
  });
});

describe('decodeNiftiSlice equals numpy slicing of get_fdata() along each axis', () => {
  const sliced = volumes.filter((v) =>
    ['int16', 'int16-gz', 'v2-be-scaled', 'ct-scaled-gz', 'larger-gz', 'two-d', 'v1-be-float64'].includes(v.name),
  );
  it.each(sliced.flatMap((v) => ([0, 1, 2] as Axis[]).map((axis) => [v.name, axis, v] as const)))(
    '%s along axis %d',
    async (_, axis, entry) => {
      const dims = entry.dims!;
      const [rowAxis, columnAxis] = ([0, 1, 2] as Axis[]).filter((a) => a !== axis);
      const plane = dims[rowAxis!]! * dims[columnAxis!]!;
      const expected = f32(`${entry.name}.axis${axis}.f32`);
      for (let index = 0; index < dims[axis]; index++) {
        const slice = await decodeNiftiSlice(at(entry), axis, index);
        expect([slice.height, slice.width]).toEqual([dims[rowAxis!], dims[columnAxis!]]);
        expect(firstDifference(slice.pixels, expected.subarray(index * plane, (index + 1) * plane)), `slice ${index}`).toBe(-1);
      }
    },
  );

  it('refuses a slice index outside the axis', async () => {
    const entry = volumes.find((v) => v.name === 'int16')!;
    await expect(decodeNiftiSlice(at(entry), 2, 4)).rejects.toThrow(/slice 4 along axis 2 is outside 0..3/);
  });
});

describe('bounded reads: hostile files are refused by name, before anything of their claimed size exists', () => {
  it('has the hostile files', () => expect(hostile.length).toBeGreaterThanOrEqual(12));

  it.each(hostile.map((h) => [h.name, h] as const))('%s', async (_, entry) => {
    const before = process.memoryUsage().rss;
    const error = await decodeNiftiVolume(at(entry)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error, `${entry.file} decoded without an error`).toBeInstanceOf(NiftiDecodeError);
    const message = (error as Error).message;
    expect(message.startsWith(at(entry))).toBe(true);
    for (const words of entry.error!) expect(message).toContain(words);
    // Nothing of the declared size (1 TiB, 1 GiB) was allocated or inflated.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  });

  it('reads a header without inflating the volume, and a header-only read of the bomb is refused as well', async () => {
    const larger = volumes.find((v) => v.name === 'larger-gz')!;
    const { header, gzip } = await readNiftiHeader(at(larger));
    expect([header.dims, header.datatype, gzip]).toEqual([[64, 48, 40], 'int16', true]);
    await expect(readNiftiHeader(path.join(dir, 'bomb.nii.gz'))).rejects.toThrow(/max_voxels/);
  });

  it('a stream that inflates far past its declared voxels costs only those voxels', async () => {
    const started = performance.now();
    const volume = await decodeNiftiVolume(path.join(dir, 'long-tail.nii.gz'));
    expect(firstDifference(volume.data, f32('long-tail.vol.f32'))).toBe(-1);
    // 256 MiB of zeros behind it would take seconds to inflate; the declared 280 bytes take milliseconds (generous on a loaded machine).
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('max_voxels is the caller’s to set', async () => {
    const entry = volumes.find((v) => v.name === 'larger-gz')!;
    await expect(decodeNiftiVolume(at(entry), { maxVoxels: 1000 })).rejects.toThrow(/122880 voxels, more than max_voxels \(1000\)/);
  });
});

/** The first index where two arrays differ (NaN equal to NaN), or -1. */
function firstDifference(got: Float32Array, expected: Float32Array): number {
  if (got.length !== expected.length) return Math.min(got.length, expected.length);
  for (let i = 0; i < got.length; i++) if (got[i] !== expected[i] && !(Number.isNaN(got[i]) && Number.isNaN(expected[i]))) return i;
  return -1;
}

describe('the nifti decode job: slices to rows, volumes kept between jobs', () => {
  /** Every slice along axis 1 of `file` (7 x 5 x 4) as rows at their own size, each stretched by its own minmax. */
  function job(file: string, keepBytes: number): NiftiJob {
    return {
      kind: 'nifti',
      paths: [file, file, file, file, file],
      slices: [0, 1, 2, 3, 4],
      axis: 1,
      target: { height: 7, width: 4, channels: 1, interpolation: 'nearest' },
      intensity: intensitySpec({ window: 'minmax', normalize: 'unit' }, 1),
      maxVoxels: 1000,
      keepBytes,
    };
  }

  it('gives the same rows from a kept volume as from a fresh read (a big-endian volume is not swapped twice)', async () => {
    const entry = volumes.find((v) => v.name === 'v2-be-int16')!;
    const expected = f32(`${entry.name}.axis1.f32`);
    const fresh = (await runNiftiJob(job(at(entry), 0))).value;
    const first = (await runNiftiJob(job(at(entry), 1 << 20))).value;
    const kept = (await runNiftiJob(job(at(entry), 1 << 20))).value;
    expect([...first.ok, ...kept.ok]).toEqual(Array(10).fill(1));
    expect([...kept.x!]).toEqual([...fresh.x!]);
    expect([...first.x!]).toEqual([...fresh.x!]);
    // minmax per slice, from nibabel's slices: the rows follow from the expected values alone
    const plane = 7 * 4;
    for (let k = 0; k < 5; k++) {
      const values = expected.subarray(k * plane, (k + 1) * plane);
      const [min, max] = [Math.min(...values), Math.max(...values)];
      expect([...kept.x!.subarray(k * plane, (k + 1) * plane)]).toEqual([...Float32Array.from(values, (v) => (v - min) / (max - min))]);
    }
  });

  it('reads a file again once it changed, and says a missing one per row', async () => {
    const file = path.join(dir, 'changing.nii');
    copyFileSync(at(volumes.find((v) => v.name === 'int16')!), file);
    const before = (await runNiftiJob(job(file, 1 << 20))).value;
    copyFileSync(at(volumes.find((v) => v.name === 'uint16')!), file);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const after = (await runNiftiJob(job(file, 1 << 20))).value;
    const fresh = (await runNiftiJob(job(file, 0))).value;
    expect([...after.x!]).toEqual([...fresh.x!]);
    expect([...after.x!]).not.toEqual([...before.x!]);
    rmSync(file);
    const gone = (await runNiftiJob(job(file, 1 << 20))).value;
    expect(gone.failures.map((f) => f.reason)).toEqual(Array(5).fill('no such file'));
  });
});
