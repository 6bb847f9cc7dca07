// Runs under vitest: the DICOM decoder against pydicom + numpy on fixtures Debian's dcmtk, gdcm and pydicom make at test
// time (test/fixtures/dicom-fixtures.py), every transfer syntax and photometric, and hostile files refused by name.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { DicomJob } from '../../../../main/data/decode/decode-jobs.js';
import { leaseDecodePool } from '../../../../main/data/decode/decode-pool.js';
import { DicomDecodeError, decodeDicom, readDicomFile, type DecodedDicom } from '../../../../main/data/decode/dicom/index.js';

interface Entry {
  name: string;
  file: string;
  npy?: string;
  syntax?: string;
  lossy?: boolean;
  error?: string[];
}

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-dicom-'));
// Debian's python3, where python3-pydicom and python3-numpy live (a pyenv python on PATH would not have them).
execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, '../../../fixtures/dicom-fixtures.py'), dir], {
  stdio: 'pipe',
  timeout: 300_000,
});
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { phi: Record<string, string>; files: Entry[] };
const images = manifest.files.filter((f) => f.npy);
const hostile = manifest.files.filter((f) => f.error);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** numpy's .npy (version 1, '<f4', C order): the shape from its header, the values after it. */
function readNpy(file: string): { shape: number[]; data: Float32Array } {
  const bytes = readFileSync(file);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  expect(header).toContain("'descr': '<f4'");
  expect(header).toContain("'fortran_order': False");
  const shape = header
    .match(/'shape': \(([^)]*)\)/)![1]!
    .split(',')
    .filter(Boolean)
    .map(Number);
  const body = bytes.subarray(10 + headerLength);
  return { shape, data: new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length)) };
}

function decodeFile(entry: Entry, options = {}): Promise<DecodedDicom> {
  return decodeDicom(readFileSync(path.join(dir, entry.file)), entry.file, options);
}

async function failure(entry: Entry, options = {}): Promise<DicomDecodeError> {
  const error = await decodeFile(entry, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, `${entry.file} decoded without an error`).toBeInstanceOf(DicomDecodeError);
  return error as DicomDecodeError;
}

function entry(name: string): Entry {
  return manifest.files.find((f) => f.name === name)!;
}

describe('decodeDicom agrees with pydicom + numpy after rescale', () => {
  it('has fixtures for every syntax, photometric and at least 12 hostile files', () => {
    const syntaxes = new Set(images.map((f) => f.syntax));
    for (const uid of ['1.2', '1.2.1', '1.2.1.99', '1.2.5', '1.2.4.50', '1.2.4.70', '1.2.4.80', '1.2.4.81', '1.2.4.90', '1.2.4.91'])
      expect(syntaxes).toContain(`1.2.840.10008.${uid}`);
    expect(hostile.length).toBeGreaterThanOrEqual(12);
  });

  it.each(images.map((f) => [f.name, f] as const))('%s', async (_, f) => {
    const expected = readNpy(path.join(dir, f.npy!));
    const decoded = await decodeFile(f);
    const [frames, rows, columns, channels] = expected.shape;
    expect([decoded.frames.length, decoded.header.rows, decoded.header.columns, decoded.channels]).toEqual([
      frames,
      rows,
      columns,
      channels,
    ]);
    // Lossless: exact. Lossy: our codec against the reference toolkit's, at most one stored grey level (slope in output units).
    const tolerance = f.lossy ? Math.abs(decoded.header.slope) : 0;
    const frameValues = rows! * columns! * channels!;
    let worst = 0;
    decoded.frames.forEach((frame, k) => {
      expect(frame.length).toBe(frameValues);
      for (let i = 0; i < frameValues; i++) worst = Math.max(worst, Math.abs(frame[i]! - expected.data[k * frameValues + i]!));
    });
    expect(worst).toBeLessThanOrEqual(tolerance);
  });

  it('reads native samples the same from an odd address in memory as from an even one (no 16-bit view there)', async () => {
    const native = images.filter((f) => f.syntax === '1.2.840.10008.1.2' || f.syntax === '1.2.840.10008.1.2.1');
    expect(native.length).toBeGreaterThan(2);
    for (const f of native) {
      const bytes = readFileSync(path.join(dir, f.file));
      const shifted = new Uint8Array(bytes.length + 1).subarray(1);
      shifted.set(bytes);
      const [aligned, odd] = [await decodeDicom(bytes, f.file), await decodeDicom(shifted, f.file)];
      expect(odd.frames, f.file).toEqual(aligned.frames);
    }
  });

  it('gives CT in Hounsfield units: air near -1000, bone near 1200, signed padding below', async () => {
    const ct = Array.from((await decodeFile(entry('ct16-jpeg-ls'))).frames[0]!);
    expect(ct.filter((v) => v === -2000 - 1024).length).toBe(64 * 2);
    expect(ct.some((v) => v >= -1020 && v <= -980)).toBe(true);
    expect(Math.max(...ct)).toBeGreaterThan(1170);
  });
});

describe('decodeDicom refuses broken and hostile files, naming the file', () => {
  it.each(hostile.map((f) => [f.name, f] as const))('%s', async (_, f) => {
    const error = await failure(f);
    expect(error.message.startsWith(`${f.file}: `)).toBe(true);
    for (const word of f.error!) expect(error.message).toContain(word);
  });

  it('refuses a 65535x65535 claim over a small buffer without allocating it, even under a limit that would allow it', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const error = await failure(entry('bad-huge-claim'), { maxPixels: 2 ** 33 });
    expect(error.message).toContain('65535x65535');
    expect(error.message).toContain('disagrees with the data length');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });

  it('keeps the memory of the whole hostile set small', async () => {
    const before = process.memoryUsage();
    for (let round = 0; round < 3; round++) for (const f of hostile) await failure(f);
    const after = process.memoryUsage();
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(32 * 2 ** 20);
    expect(after.rss - before.rss).toBeLessThan(200 * 2 ** 20);
  });

  it('refuses a file over the size limit by its size, before reading it', () => {
    const file = path.join(dir, entry('ct16-explicit').file);
    expect(() => readDicomFile(file, 1000)).toThrow(new RegExp(`^${file}: file is \\d+ bytes, over the limit of 1000$`));
    expect(readDicomFile(file).length).toBeGreaterThan(6144);
  });

  it('bounds what a deflated data set may inflate to', async () => {
    const f = entry('ct16-deflated');
    const size = readFileSync(path.join(dir, f.file)).length;
    const error = await failure(f, { maxBytes: size + 100 });
    expect(error.message).toContain(`does not inflate within ${size + 100} bytes`);
  });

  it('stops a deflate bomb at the limit, and without holding what it would inflate to', async () => {
    const real = readFileSync(path.join(dir, entry('ct16-deflated').file));
    // The meta header (group 0002, never deflated) ends where its group length, the first element after DICM, says.
    const bodyStart = 132 + 12 + real.readUInt32LE(140);
    const bomb = Buffer.concat([real.subarray(0, bodyStart), deflateRawSync(Buffer.alloc(64 * 2 ** 20), { level: 9 })]);
    expect(bomb.length).toBeLessThan(2 ** 20);
    const before = process.memoryUsage().arrayBuffers;
    await expect(decodeDicom(bomb, 'bomb.dcm', { maxBytes: 8 * 2 ** 20 })).rejects.toThrow(
      `bomb.dcm: deflated data set does not inflate within ${8 * 2 ** 20} bytes`,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });

  it('says which PNG-looking or text file is not DICOM', async () => {
    const file = path.join(dir, 'note.dcm');
    writeFileSync(file, 'patient list\n'.repeat(20));
    await expect(decodeDicom(readFileSync(file), 'note.dcm')).rejects.toThrow("note.dcm: not a DICOM Part 10 file: no 'DICM' at byte 128");
  });
});

describe('the decode pool', () => {
  it('decodes a DICOM file in a worker thread, frames transferred as float32, errors naming the file', async () => {
    const lease = leaseDecodePool(1);
    try {
      const file = path.join(dir, entry('multi16-jpeg-ls').file);
      const job: DicomJob = { kind: 'dicom', path: file };
      const pooled = (await lease.pool.run(job)) as DecodedDicom;
      const inline = await decodeDicom(readFileSync(file), file);
      expect(pooled.frames.map((f) => f.constructor.name)).toEqual(['Float32Array', 'Float32Array', 'Float32Array']);
      expect(pooled.frames).toEqual(inline.frames);
      expect(pooled.identifying).toBeUndefined();
      const bad = path.join(dir, entry('bad-rle-stomped').file);
      await expect(lease.pool.run({ kind: 'dicom', path: bad } satisfies DicomJob)).rejects.toThrow(`${bad}: corrupt RLE fragment`);
    } finally {
      await lease.release();
    }
  });
});

describe('no patient identifier leaves the decoder unasked', () => {
  const phi = Object.values(manifest.phi);

  it('puts none in any error message', async () => {
    for (const f of hostile) {
      const error = await failure(f);
      for (const value of phi) expect(error.message).not.toContain(value);
    }
  });

  it('returns the identifying fields only when asked, apart from the header', async () => {
    const plain = await decodeFile(entry('ct16-explicit'));
    expect(plain.identifying).toBeUndefined();
    const header = JSON.stringify(plain.header);
    for (const value of phi) expect(header).not.toContain(value);
    const asked = await decodeFile(entry('ct16-explicit'), { identifying: true });
    expect(asked.identifying).toMatchObject({
      patientId: manifest.phi.PatientID,
      modality: 'CT',
      bodyPartExamined: 'CHEST',
      seriesDescription: 'fixture series',
    });
    expect(asked.identifying!.studyInstanceUid).toMatch(/^[\d.]+$/);
    expect(Object.keys(asked.identifying!)).not.toContain('patientName');
    expect(asked.header).toMatchObject({ windowCenter: 40, windowWidth: 400, slope: 1, intercept: -1024, signed: true });
  });
});
