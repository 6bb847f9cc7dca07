// Tests (Node, real files made by pydicom and dcmtk at test time): the DICOM tree index: by content, bounded, cached, no PHI.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { indexDicomTree, type IndexOptions } from '../../../main/data/sources/dicom-index.js';
import { siteHasher } from '../../../main/data/sources/phi-hash.js';
import { tempDir } from '../../fixtures/corpus.js';
import { everyFile, makeFixtureTree, phiIn } from './dicom-fixture-tree.js';

const tree = makeFixtureTree(await tempDir('tributary-dicom-tree-'));
afterAll(() => fsp.rm(tree.dir, { recursive: true, force: true }));

/** Every byte read through fs.promises file handles from now on, until restore(). */
function countBytesRead(): { bytes: () => number; restore: () => void } {
  let total = 0;
  const open = fsp.open.bind(fsp);
  const spy = vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
    const handle = await open(...args);
    const read = handle.read.bind(handle) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
    (handle as unknown as { read: typeof read }).read = async (...a: unknown[]) => {
      const result = await read(...a);
      total += result.bytesRead;
      return result;
    };
    return handle;
  });
  return { bytes: () => total, restore: () => spy.mockRestore() };
}

const LIMITS = { maxHeaderBytes: 4 * 2 ** 20, maxPixels: 0x3fff * 0x3fff };

async function options(limits = LIMITS): Promise<IndexOptions> {
  const cacheDir = await tempDir('tributary-dicom-index-');
  return { cacheDir, hasher: await siteHasher(cacheDir), limits };
}

describe('indexDicomTree', () => {
  it('recognises files by content in any layout, and gives every non-image and unreadable file its reason', async () => {
    const index = await indexDicomTree(tree.root, await options());
    const byPath = new Map(index.entries.map((e) => [e.path, e]));
    const images = index.entries.filter((e) => e.kind === 'image');
    expect(images.map((e) => e.path).sort()).toEqual(tree.images.map((i) => i.path).sort());
    expect(byPath.get('site-a/PAT01/STUDY1/SER1/IM0000')).toMatchObject({
      kind: 'image',
      modality: 'CT',
      rows: 16,
      columns: 16,
      frames: 1,
    });
    expect(byPath.get('site-a/PAT01/STUDY1/SER2/mr.dcm')).toMatchObject({ kind: 'image', modality: 'MR', frames: 2, bitsStored: 12 });
    const reasons = Object.fromEntries(index.entries.filter((e) => e.kind !== 'image').map((e) => [e.path, `${e.kind}: ${e.reason}`]));
    expect(reasons).toEqual({
      'site-a/CDROM/DICOMDIR': expect.stringMatching(/^non-image: a DICOMDIR/),
      'site-a/docs/report': expect.stringMatching(/^non-image: a structured report/),
      'site-a/docs/report.pdf.dcm': expect.stringMatching(/^non-image: an encapsulated PDF/),
      'site-a/broken/nopixels': expect.stringMatching(/^non-image: no PixelData \(7FE0,0010\)/),
      'site-a/broken/truncated.dcm': expect.stringMatching(/^unreadable: truncated pixel data: the file ends 412 bytes into a 512-byte/),
      'site-a/broken/bigendian.dcm': expect.stringMatching(/^unreadable: unsupported transfer syntax 1.2.840.10008.1.2.2/),
      'site-a/broken/empty.dcm': 'unreadable: empty file (0 bytes)',
      'site-a/broken/garbage': expect.stringMatching(/^unreadable: not a readable DICOM file/),
      'site-a/broken/README.txt': "not-dicom: not a DICOM Part 10 file: no 'DICM' at byte 128",
    });
    const syntaxes = new Set(images.map((e) => e.kind === 'image' && e.transferSyntax));
    expect(syntaxes).toEqual(new Set(['1.2.840.10008.1.2.1', '1.2.840.10008.1.2.4.80', '1.2.840.10008.1.2.1.99']));
    expect(byPath.get('site-b/p7_ct_0.dcm')).toMatchObject({ transferSyntax: '1.2.840.10008.1.2.1.99', rows: 16, position: 10 });
  });

  it('orders a series by position along the slice normal', async () => {
    const index = await indexDicomTree(path.join(tree.root, 'site-b'), await options());
    const p6 = index.entries
      .filter((e) => e.path.startsWith('p6_ct'))
      .map((e) => e.kind === 'image' && [e.path, e.position, e.instanceNumber]);
    expect(p6).toEqual([
      ['p6_ct_0.dcm', 10, 1],
      ['p6_ct_1.dcm', 0, 3],
      ['p6_ct_2.dcm', 5, 2],
    ]);
  });

  it('is reused while files are unchanged: a second open reads no header, touching one file reads exactly that one', async () => {
    const opts = await options();
    const first = await indexDicomTree(tree.root, opts);
    expect(first.parsed).toBe(first.entries.length);
    const second = await indexDicomTree(tree.root, opts);
    expect([second.parsed, second.reused]).toEqual([0, first.entries.length]);
    expect(second.entries).toEqual(first.entries);
    const touched = path.join(tree.root, 'site-b/p7_ct_1.dcm');
    const later = new Date(Date.now() + 5000);
    await fsp.utimes(touched, later, later);
    const third = await indexDicomTree(tree.root, opts);
    expect([third.parsed, third.reused]).toEqual([1, first.entries.length - 1]);
    // Only the index file is left in the folder: it was written to a temporary name and renamed, none is left behind.
    const files = (await fsp.readdir(opts.cacheDir)).sort();
    expect(files).toEqual([path.basename(third.cacheFile), 'salt'].sort());
  });

  it('rebuilds an index made with another salt, and holds no PHI in the clear', async () => {
    const opts = await options();
    await indexDicomTree(tree.root, opts);
    const cached = await fsp.readFile((await indexDicomTree(tree.root, opts)).cacheFile, 'utf8');
    expect(phiIn(cached, tree.phi)).toEqual([]);
    for (const image of tree.images.slice(0, 3)) {
      for (const uid of [image.StudyInstanceUID, image.SeriesInstanceUID, image.SOPInstanceUID]) expect(cached).not.toContain(uid);
      expect(cached).toContain(opts.hasher.hash(image.PatientID));
    }
    const other = await siteHasher(await tempDir());
    const rekeyed = await indexDicomTree(tree.root, { ...opts, hasher: other });
    expect(rekeyed.parsed).toBe(rekeyed.entries.length);
    for (const { bytes } of await everyFile(opts.cacheDir)) expect(phiIn(bytes.toString('latin1'), tree.phi)).toEqual([]);
  });

  it('caps the header read and says so, without reading a large file whole', async () => {
    const dir = await tempDir();
    // A real header claiming 8192x8192 16-bit pixels in a sparse 128 MiB file: indexed from its first kilobytes.
    const source = await fsp.readFile(path.join(tree.root, 'site-b/p6_ct_0.dcm'));
    const big = path.join(dir, 'big');
    await fsp.writeFile(big, source);
    const capped = await indexDicomTree(dir, await options({ ...LIMITS, maxHeaderBytes: 300 }));
    expect(capped.entries[0]).toMatchObject({
      kind: 'unreadable',
      reason: 'header not indexed: no PixelData within the first 300 bytes (the max_header_bytes cap)',
    });
    const sparse = path.join(dir, 'sparse');
    const header = Buffer.from(source.subarray(0, source.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00])) + 12));
    for (const tag of [0x10, 0x11]) header.writeUInt16LE(8192, header.indexOf(Buffer.from([0x28, 0, tag, 0, 0x55, 0x53, 2, 0])) + 8);
    header.writeUInt32LE(8192 * 8192 * 2, header.length - 4);
    await fsp.writeFile(sparse, header);
    await fsp.truncate(sparse, header.length + 8192 * 8192 * 2);
    await fsp.rm(big);
    const read = countBytesRead();
    try {
      const index = await indexDicomTree(dir, await options());
      expect(index.entries[0]).toMatchObject({ kind: 'image', rows: 8192, columns: 8192, size: header.length + 8192 * 8192 * 2 });
    } finally {
      read.restore();
    }
    expect(read.bytes()).toBeGreaterThan(132); // the spy saw the reads
    expect(read.bytes()).toBeLessThanOrEqual(16 * 1024);
  });

  it('keeps one salt per site, private to its owner', async () => {
    const dir = await tempDir();
    const [a, b] = await Promise.all([siteHasher(dir), siteHasher(dir)]);
    expect(a.hash('x')).toBe(b.hash('x'));
    expect((await fsp.stat(path.join(dir, 'salt'))).mode & 0o777).toBe(0o600);
    expect((await siteHasher(dir)).saltId).toBe(a.saltId);
  });
});
