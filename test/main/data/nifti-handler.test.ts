// Runs under vitest (real files, real decode threads): the Nifti handler on a small study nibabel writes at test time
// (test/fixtures/nifti-set.py): listing, labels, slices, the split by subject, rows through the float path, and the scan.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../main/config/errors.js';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { Nifti, pickSlices } from '../../../main/data/builtins/nifti-handler.js';
import { openData } from '../../../main/data/handler-loader.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import { windowValue } from '../../../main/data/intensity.js';
import type { NiftiSlicesGenerator } from '../../../main/data/nifti-generator.js';
import { previewSamples } from '../../../main/data/preview.js';
import { scanSplit } from '../../../main/data/scan.js';
import { defaultSaltDir, PhiHasher, siteHasher } from '../../../main/data/sources/phi-hash.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-nifti-set-'));
execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../fixtures/nifti-set.py'), dir], { stdio: 'pipe', timeout: 300_000 });
const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { dims: [number, number, number]; slices: string[]; patient: string }
>;
const PATIENTS = [...new Set(Object.values(expected).map((e) => e.patient))];
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// The site's salt goes in the cache folder: this test's own, never the user's.
process.env.TRIBUTARY_CACHE_DIR = path.join(dir, 'cache');

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await Promise.all([splits.train?.close(), splits.test?.close()]);
});

async function open(info: Record<string, unknown>): Promise<{ train?: NiftiSlicesGenerator; test?: NiftiSlicesGenerator }> {
  const splits = await new Nifti({ workers: 2, ...info }, { baseDir: dir }).getData();
  opened.push(splits);
  return splits as { train?: NiftiSlicesGenerator; test?: NiftiSlicesGenerator };
}

/** The volume file name of every sample of a generator ("vol-3.nii.gz"). */
function volumeNames(generator: NiftiSlicesGenerator): Set<string> {
  return new Set(Array.from({ length: generator.sampleCount }, (_, i) => path.basename(generator.describeSample(i).split(' slice ')[0]!)));
}

/** Each volume's patient, as all.csv has it (the cut files included). */
const patientOf = new Map(
  readFileSync(path.join(dir, 'all.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .map(([file, , patient]) => [path.basename(file!), patient!]),
);
const patientsOf = (names: Set<string>) => new Set([...names].map((name) => patientOf.get(name)!));

describe('Nifti: one set split by subject', () => {
  it('holds out whole subjects, seeded: no subject has slices on both sides, and the same seed gives the same split', async () => {
    const info = { path: 'all.csv', subject_column: 'patient', test_fraction: 0.34, seed: 3 };
    const { train, test } = await open(info);
    const trainPatients = patientsOf(volumeNames(train!));
    const testPatients = patientsOf(volumeNames(test!));
    expect([...trainPatients].filter((p) => testPatients.has(p))).toEqual([]);
    expect(trainPatients.size + testPatients.size).toBe(6);
    expect(testPatients.size).toBe(2); // round(0.34 x 6)
    expect(train!.describeSample(0)).toMatch(/ slice 0 along axis 2 \(subject #[0-9a-f]{16}\)$/);
    const again = await open(info);
    expect(volumeNames(again.test!)).toEqual(volumeNames(test!));
    const other = await Promise.all([1, 2, 4, 5].map((seed) => open({ ...info, seed })));
    expect(other.some(({ test: t }) => [...volumeNames(t!)].sort().join() !== [...volumeNames(test!)].sort().join())).toBe(true);
  });

  it('without a subject column, each volume is its own subject (so slices of one volume never straddle)', async () => {
    const { train, test } = await open({ path: 'all.csv', test_fraction: 0.25 });
    const trainVolumes = volumeNames(train!);
    expect([...volumeNames(test!)].filter((v) => trainVolumes.has(v))).toEqual([]);
  });

  it('test_fraction 0 gives a train split only', async () => {
    const { train, test } = await open({ path: 'all.csv', test_fraction: 0 });
    expect(test).toBeUndefined();
    expect(volumeNames(train!).size).toBe(13); // 12 volumes and the .nii.gz whose cut shows only when decoded
  });
});

describe('Nifti: two sets', () => {
  it('refuses subjects found in both, by count and salted hash, never by their identifier', async () => {
    const error = await open({ train: 'train.csv', test: 'overlap-test.csv', subject_column: 'patient' }).then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error?.message).toMatch(
      /^data\.info\.test: 2 subjects are in both train and test \(#[0-9a-f]{16}, #[0-9a-f]{16}, salted hashes\)/,
    );
    for (const patient of PATIENTS) expect(error!.message).not.toContain(patient);
  });

  it('takes disjoint sets as given', async () => {
    const { train, test } = await open({ train: 'train.csv', test: 'test.csv', subject_column: 'patient' });
    expect(volumeNames(train!).size).toBe(8);
    expect(volumeNames(test!).size).toBe(4);
  });
});

describe('Nifti: listing, slices and rows', () => {
  it('lists a folder against its labels CSV, reporting files without a row and unreadable headers', async () => {
    const { train } = await open({ train: 'vols', labels: 'labels.csv', subject_column: 'patient', slices: 'middle' });
    expect(train!.sampleCount).toBe(13); // one middle slice per readable-headed volume
    expect(train!.listing.ignoredFiles).toBe(1); // README.txt
    const problems = train!.listing.problems.map((p) => `${path.basename(p.path)}: ${p.reason}`);
    expect(problems).toEqual([expect.stringMatching(/^cut\.nii: truncated: the header declares \d+ bytes/)]);
  });

  it('an unparsable CSV is refused by code and line, never quoting the field (it may be a patient identifier)', async () => {
    writeFileSync(path.join(dir, 'bad.csv'), 'file,label,patient\nvols/vol-0.nii,healthy,x"PAT-4471"\n');
    const error = await open({ path: 'bad.csv', subject_column: 'patient' }).then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error?.message).toMatch(/^data\.info\.path: .*bad\.csv: not a readable CSV \(INVALID_OPENING_QUOTE at line 2\)$/);
    expect(error?.message).not.toContain('PAT-4471');
  });

  it('a CSV without its header row is refused without showing its first row (a patient’s) as column names', async () => {
    writeFileSync(path.join(dir, 'headerless.csv'), 'vols/vol-0.nii,healthy,PAT-4471\nvols/vol-1.nii,lesion,PAT-4471\n');
    const error = await open({ path: 'headerless.csv', subject_column: 'patient' }).then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error?.message).toMatch(
      /headerless\.csv: no column "file" \(none of "file", "label", "patient" is in its first row: has it a header row\?/,
    );
    expect(error?.message).not.toContain('PAT-4471');
    // With a header that names the other columns, a misspelt one is answered with the file's column names.
    writeFileSync(path.join(dir, 'misspelt.csv'), 'file,label,patiënt\nvols/vol-0.nii,healthy,PAT-4471\n');
    await expect(open({ path: 'misspelt.csv', subject_column: 'patient' })).rejects.toThrow(
      /misspelt\.csv: no column "patient" \(columns are: file, label, patiënt\)$/,
    );
  });

  it('a folder without labels is refused on its key', async () => {
    await expect(open({ train: 'vols' })).rejects.toThrow(/^data\.info\.train: .*vols is a folder: name the CSV of its labels in `labels`/);
  });

  it('picks all, the middle or a range of slices (numpy n // 2 for the middle)', () => {
    expect(pickSlices('all', 4)).toEqual([0, 1, 2, 3]);
    expect(pickSlices('middle', 4)).toEqual([2]);
    expect(pickSlices('middle', 5)).toEqual([2]);
    expect(pickSlices([1, 2], 5)).toEqual([1, 2]);
    expect(pickSlices([3, 9], 5)).toEqual([3, 4]);
    expect(pickSlices([6, 9], 5)).toEqual([]);
  });

  it('counts slices along the axis asked for', async () => {
    const volumes = Object.values(expected);
    for (const [axis, index] of [
      ['sagittal', 0],
      [1, 1],
      ['axial', 2],
    ] as const) {
      const { train } = await open({ train: 'train.csv', axis, image_size: [8, 8] });
      const listed = Object.entries(expected).slice(0, 8);
      expect(train!.sampleCount, `axis ${axis}`).toBe(listed.reduce((n, [, e]) => n + e.dims[index], 0));
    }
    expect(volumes.length).toBe(12);
  });

  it('rows are the window applied to nibabel’s slice values (float path, no 8-bit step), scl_slope included', async () => {
    const [center, width] = [200, 3000];
    const { train } = await open({
      train: 'train.csv',
      image_size: [12, 9],
      window: [center, width],
      shuffle: false,
      on_bad_file: 'fail',
    });
    let compared = 0;
    for (let i = 0; i < train!.sampleCount; i++) {
      const [file, slice] = train!.describeSample(i).split(' slice ');
      const entry = expected[path.basename(file!)]!;
      if (entry.dims[0] !== 12) continue; // resized volumes are the resampler's business (float-path.test.ts)
      const k = Number(slice!.split(' ')[0]);
      const bytes = readFileSync(path.join(dir, entry.slices[k]!));
      const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const batch = await train!.readSamples(Uint32Array.of(i));
      expect(batch.shape).toEqual([1, 12, 9, 1]);
      const want = Float32Array.from(values, (v) => windowValue(v, center, width));
      expect([...batch.x]).toEqual([...want]);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(16);
  });

  it('a volume cut short inside its gzip stream is skipped by name at decode time, or stops training under on_bad_file: fail', async () => {
    const { train } = await open({ train: 'vols', labels: 'labels.csv', slices: 'middle', image_size: [8, 8] });
    const all = Uint32Array.from({ length: train!.sampleCount }, (_, i) => i);
    const batch = await train!.readSamples(all);
    expect(batch.skipped.map((s) => `${path.basename(s.source)}: ${s.reason}`)).toEqual([
      expect.stringMatching(/^cut\.nii\.gz slice 2 along axis 2: truncated: inflates to \d+ bytes/),
    ]);
    const strict = await open({ train: 'vols', labels: 'labels.csv', slices: 'middle', image_size: [8, 8], on_bad_file: 'fail' }).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(strict?.message).toMatch(/^data\.info\.train: .*cut\.nii: truncated/);
  });
});

describe('Nifti through the config loader', () => {
  /** The error of a party config naming the Nifti built-in with these `info` lines. */
  async function configError(info: string[]): Promise<ConfigError> {
    const file = path.join(dir, 'party.yaml');
    writeFileSync(file, ['data:', '  name: Nifti', '  info:', ...info.map((line) => `    ${line}`), ''].join('\n'));
    const error = await openData(await loadPartyConfig(file)).then(
      async (data) => {
        await Promise.all([data.splits.train?.close(), data.splits.test?.close()]);
        return undefined;
      },
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }

  it('places a shared-subject refusal on the line of `test`, and a bad axis on its own', async () => {
    const shared = await configError(['train: train.csv', 'subject_column: patient', 'test: overlap-test.csv']);
    expect(shared).toMatchObject({ key: 'data.info.test', line: 6 });
    const axis = await configError(['path: all.csv', 'axis: 5']);
    expect(axis).toMatchObject({ key: 'data.info.axis', line: 5 });
  });
});

describe('Nifti: scan', () => {
  it('reports per volume dims, datatype, spacing and slices, subjects per class as hashes, and every unreadable file', async () => {
    const { train } = await open({ train: 'vols', labels: 'labels.csv', subject_column: 'patient', image_size: [8, 8] });
    const scan = await scanSplit('train', train!);
    const byFile = new Map(scan.volumes!.map((v) => [path.basename(v.file), v]));
    expect(byFile.get('vol-0.nii')).toMatchObject({ dims: [10, 8, 5], datatype: 'float32', gzip: false, slices: 5, readable: 5 });
    expect(byFile.get('vol-1.nii.gz')).toMatchObject({ dims: [12, 9, 4], datatype: 'int16', gzip: true, slices: 4, readable: 4 });
    expect(byFile.get('vol-1.nii.gz')!.spacing.map((s) => Math.fround(s))).toEqual([0.9, 0.9, 3].map((s) => Math.fround(s)));
    expect(byFile.get('cut.nii.gz')).toMatchObject({ readable: 0 });
    expect(scan.unreadableCount).toBe(4); // the four slices of cut.nii.gz
    expect(scan.listingProblems.map((p) => path.basename(p.path))).toEqual(['cut.nii']);
    expect(scan.formats).toEqual(
      expect.arrayContaining([
        { key: 'NIfTI-1 int16 .nii', count: 4 },
        { key: 'NIfTI-1 float32 .nii', count: 2 },
      ]),
    );
    expect(scan.subjects).toEqual([
      { key: 'healthy', count: 6 },
      { key: 'lesion', count: 6 },
    ]);
    const written = JSON.stringify(scan);
    for (const patient of PATIENTS) expect(written).not.toContain(patient);
    expect(byFile.get('vol-0.nii')!.subject).toMatch(/^#[0-9a-f]{16}$/);
  });
});

describe('Nifti: subject hashes', () => {
  it("are the site's salted hashes: the same in the next run and under the Dicom handler, re-keyed with the salt", async () => {
    const hashOfFirst = async () => {
      const { train } = await open({ path: 'all.csv', subject_column: 'patient', test_fraction: 0 });
      const [, file, hash] = /^(\S+) slice .*\(subject #([0-9a-f]{16})\)$/.exec(train!.describeSample(0))!;
      return { patient: patientOf.get(path.basename(file!))!, hash: hash! };
    };
    const { patient, hash } = await hashOfFirst();
    // What another process would compute from the salt file alone, and what the Dicom handler's hasher gives.
    expect(hash).toBe(new PhiHasher(readFileSync(path.join(defaultSaltDir(), 'salt'))).hash(patient));
    expect(hash).toBe((await siteHasher(defaultSaltDir())).hash(patient));
    expect((await hashOfFirst()).hash).toBe(hash);
    rmSync(path.join(defaultSaltDir(), 'salt'));
    const rekeyed = await hashOfFirst();
    expect(rekeyed.patient).toBe(patient);
    expect(rekeyed.hash).not.toBe(hash);
  });

  it("keep the salt in salt_dir when given: a Dicom config's own index_dir, so a patient has one hash under both", async () => {
    const saltDir = path.join(dir, 'site-index');
    const { train } = await open({ path: 'all.csv', subject_column: 'patient', test_fraction: 0, salt_dir: saltDir });
    const [, file, hash] = /^(\S+) slice .*\(subject #([0-9a-f]{16})\)$/.exec(train!.describeSample(0))!;
    expect(hash).toBe((await siteHasher(saltDir)).hash(patientOf.get(path.basename(file!))!));
    expect(hash).not.toBe((await siteHasher(defaultSaltDir())).hash(patientOf.get(path.basename(file!))!));
  });
});

describe('Nifti: preview', () => {
  it('renders slices as the model sees them, with the file, slice and hashed subject as their source', async () => {
    const { train } = await open({ path: 'all.csv', subject_column: 'patient', image_size: [12, 9], window: 'minmax' });
    const { samples } = await previewSamples(train!, { n: 4, seed: 1 });
    expect(samples).toHaveLength(4);
    for (const sample of samples) {
      expect([sample.height, sample.width, sample.channels]).toEqual([12, 9, 1]);
      expect(sample.source).toMatch(/vol-\d+\.nii(\.gz)? slice \d along axis 2 \(subject #[0-9a-f]{16}\)$/);
      expect(sample.range[0]).toBe(0); // minmax per slice: every slice spans 0 to 1
      expect(sample.range[1]).toBe(1);
      expect(sample.intensity).toMatch(/^minmax: -?[\d.]+ to -?[\d.]+$/); // each slice's own range, in stored units
      for (const patient of PATIENTS) expect(sample.source).not.toContain(patient);
    }
  });
});
