// Tests (Node, real files and worker threads): scan reports and previews rendered exactly as the generator yields.
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageFolder } from '../../../main/data/builtins/image-folder.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import { DataGenerator, makeBatch } from '../../../main/data/data-generator.js';
import { previewSamples } from '../../../main/data/preview.js';
import { scanSplit } from '../../../main/data/scan.js';
import type { Batch } from '../../../main/data/types.js';
import { badCorpus, cleanTree, grayPixels, tempDir } from '../../fixtures/corpus.js';

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await Promise.all([splits.train?.close(), splits.test?.close()]);
});

async function imageFolder(info: Record<string, unknown>, baseDir: string): Promise<DataSplits> {
  opened.push(await new ImageFolder(info, { baseDir }).getData());
  return opened.at(-1)!;
}

describe('scan', () => {
  it('counts per class, sizes, channels and formats, and lists every unreadable file with its reason', async () => {
    const dir = await tempDir();
    const corpus = await badCorpus(dir);
    const { train } = await imageFolder({ train: 'train', image_size: [8, 8] }, dir);
    const progress: number[] = [];
    const scan = await scanSplit('train', train!, { onProgress: (p) => progress.push(p.done) });
    expect(scan.classes).toEqual([
      { key: 'a', count: 4 },
      { key: 'b', count: 2 + corpus.decodable.length },
      { key: 'empty', count: 0 },
    ]);
    expect(scan.unreadableCount).toBe(corpus.decodeFailures.length);
    expect(scan.unreadable.map((u) => path.basename(u.source)).sort()).toEqual([...corpus.decodeFailures].sort());
    expect(scan.sizes).toContainEqual({ key: '12x10', count: 1 });
    expect(scan.sizes.find((s) => s.key === '8x8')!.count).toBe(scan.readable - 1);
    expect(scan.channels.map((c) => c.key).sort()).toEqual([1, 3, 4]);
    expect(scan.formats).toEqual([{ key: 'png', count: scan.readable }]);
    expect(scan.listingProblems.map((p) => path.basename(p.path)).sort()).toEqual([...corpus.listingProblems].sort());
    expect(progress.at(-1)).toBe(train!.sampleCount);
  });
});

describe('preview', () => {
  it('renders samples as PNGs whose pixels are the generator output, with labels and sources', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a', 'b', 'c'], 4);
    const { train } = await imageFolder({ train: 'train', color_mode: 'grayscale', normalize: { mean: [0.5], std: [0.2] } }, dir);
    const { samples } = await previewSamples(train!, { n: 5, seed: 3 });
    expect(samples).toHaveLength(5);
    expect(new Set(samples.map((s) => s.index)).size).toBe(5);
    for (const s of samples) {
      const k = Number(path.basename(s.source, '.png'));
      expect(s.className).toBe(path.basename(path.dirname(s.source)));
      const decoded = await sharp(s.png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      expect(decoded.info).toMatchObject({ width: 8, height: 8, channels: 1 });
      expect([...decoded.data]).toEqual([...grayPixels(8, 8, s.label * 1000 + k)]);
      expect(s.range[0]).toBeCloseTo(Math.min(...grayPixels(8, 8, s.label * 1000 + k)) / 255 / 0.2 - 2.5, 4);
      expect(s.display).toBe('denormalized');
    }
    expect((await previewSamples(train!, { n: 5, seed: 3 })).samples.map((s) => s.index)).toEqual(samples.map((s) => s.index));
  });

  it('filters by class, and refuses an unknown class by name', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a', 'b', 'c'], 4);
    const { train } = await imageFolder({ train: 'train' }, dir);
    const { samples } = await previewSamples(train!, { n: 10, classes: ['b'] });
    expect(samples.map((s) => s.className)).toEqual(['b', 'b', 'b', 'b']);
    await expect(previewSamples(train!, { n: 2, classes: ['zebra'] })).rejects.toThrow(/no class "zebra" \(classes are: a, b, c\)/);
  });

  it('stretches values it cannot map back (a custom generator without displayPixel)', async () => {
    class Ramp extends DataGenerator {
      readonly sampleCount = 2;
      readonly classNames = ['x'];
      readonly sampleShape = { height: 1, width: 3, channels: 1 };
      describeSample(i: number) {
        return `ramp ${i}`;
      }
      protected async loadSamples(indices: Uint32Array): Promise<Batch> {
        const x = Float32Array.from({ length: indices.length * 3 }, (_, i) => (i % 3) * 10 - 5);
        return makeBatch({ x, shape: this.sampleShape, indices, labels: new Int32Array(indices.length), numClasses: 1 });
      }
    }
    const { samples } = await previewSamples(new Ramp({ batchSize: 2 }), { n: 1 });
    const decoded = await sharp(samples[0]!.png).toColourspace('b-w').raw().toBuffer();
    expect([...decoded]).toEqual([0, 128, 255]);
    expect(samples[0]).toMatchObject({ display: 'stretched', range: [-5, 15] });
  });
});
