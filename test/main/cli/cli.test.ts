// Tests (Node, real files and decode threads): the `tributary` CLI's main() in-process: scan, preview, exit codes and messages.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureConsole } from './console-capture.js';
import { main } from '../../../main/cli/index.js';
import { cleanTree, grayPixels, tempDir } from '../../fixtures/corpus.js';

const CLASSES = ['cat', 'dog', 'emu'];
let dir: string;
let config: string;

beforeAll(async () => {
  dir = await tempDir();
  await cleanTree(path.join(dir, 'train'), CLASSES, 4);
  await cleanTree(path.join(dir, 'test'), CLASSES, 2);
  config = path.join(dir, 'party.yaml');
  await fsp.writeFile(
    config,
    [
      'data:',
      '  name: ImageFolder',
      '  info:',
      '    train: train',
      '    test: test',
      '    color_mode: grayscale',
      '    batch_size: 4',
      '    workers: 2',
      '',
    ].join('\n'),
  );
});

const { spies, printed, complained } = captureConsole({ stderr: true });

describe('tributary scan', () => {
  it('prints each split with its per-class counts and returns 0', async () => {
    expect(await main(['scan', '--config', config])).toBe(0);
    const out = printed();
    expect(out).toMatch(/^train: 12 samples, 12 readable, 0 unreadable; the model sees 8x8x1$/m);
    expect(out).toMatch(/^test: 6 samples, 6 readable, 0 unreadable; the model sees 8x8x1$/m);
    const [train, test] = out.split(/\n\n/);
    for (const name of CLASSES) {
      expect(train).toMatch(new RegExp(`^${name}\\s+4$`, 'm'));
      expect(test).toMatch(new RegExp(`^${name}\\s+2$`, 'm'));
    }
    expect(out).toContain('sizes (WxH): 8x8 x12');
    expect(complained()).toBe('');
    expect(spies.stderrWrite.mock.calls.map((c) => String(c[0])).join('')).toContain('scan train: 12/12');
  });

  it('prints the split scans as parseable JSON with --json', async () => {
    expect(await main(['scan', '--config', config, '--json'])).toBe(0);
    expect(spies.log).toHaveBeenCalledTimes(1);
    const scans = JSON.parse(String(spies.log.mock.calls[0]![0])) as {
      split: string;
      samples: number;
      readable: number;
      classes: { key: string; count: number }[];
      unreadableCount: number;
    }[];
    expect(scans.map((s) => [s.split, s.samples, s.readable, s.unreadableCount])).toEqual([
      ['train', 12, 12, 0],
      ['test', 6, 6, 0],
    ]);
    expect(scans[0]!.classes).toEqual(CLASSES.map((key) => ({ key, count: 4 })));
    expect(scans[1]!.classes).toEqual(CLASSES.map((key) => ({ key, count: 2 })));
    expect(spies.stderrWrite).not.toHaveBeenCalled(); // no progress lines mixed into machine output
  });
});

interface Manifest {
  samples: {
    file: string;
    index: number;
    label: number;
    className: string;
    source: string;
    height: number;
    width: number;
    channels: number;
  }[];
  skipped: unknown[];
}

describe('tributary preview', () => {
  it('writes n PNGs, samples.json and index.html, and returns 0', async () => {
    const out = path.join(await tempDir(), 'preview');
    expect(await main(['preview', '--config', config, '--out', out, '-n', '5'])).toBe(0);
    expect(printed()).toContain(`wrote 5 samples to ${out}`);
    const files = await fsp.readdir(out);
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(5);
    expect(files).toContain('samples.json');
    expect(files).toContain('index.html');
    const manifest = JSON.parse(await fsp.readFile(path.join(out, 'samples.json'), 'utf8')) as Manifest;
    expect(manifest.samples).toHaveLength(5);
    expect(manifest.skipped).toEqual([]);
    expect(new Set(manifest.samples.map((s) => s.index)).size).toBe(5);
    const html = await fsp.readFile(path.join(out, 'index.html'), 'utf8');
    for (const s of manifest.samples) {
      expect(files).toContain(s.file);
      expect(html).toContain(`src="${s.file}"`);
      expect(s.className).toBe(path.basename(path.dirname(s.source)));
      expect(s.label).toBe(CLASSES.indexOf(s.className));
      // The PNG holds the file's own pixels (unit normalization round-trips exactly).
      const png = await sharp(path.join(out, s.file)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      expect(png.info).toMatchObject({ width: 8, height: 8, channels: 1 });
      expect([...png.data]).toEqual([...grayPixels(8, 8, s.label * 1000 + Number(path.basename(s.source, '.png')))]);
    }
  });

  it('keeps only the classes named with --class, on the split asked for', async () => {
    const out = path.join(await tempDir(), 'preview');
    expect(
      await main([
        'preview',
        '--config',
        config,
        '--out',
        out,
        '-n',
        '3',
        '--class',
        'dog',
        '--class',
        'emu',
        '--split',
        'test',
        '--seed',
        '4',
      ]),
    ).toBe(0);
    const manifest = JSON.parse(await fsp.readFile(path.join(out, 'samples.json'), 'utf8')) as Manifest;
    expect(manifest.samples).toHaveLength(3);
    expect(manifest.samples.every((s) => ['dog', 'emu'].includes(s.className))).toBe(true);
    expect(manifest.samples.every((s) => s.source.startsWith(path.join(dir, 'test') + path.sep))).toBe(true);
    expect((await fsp.readdir(out)).filter((f) => f.endsWith('.png'))).toHaveLength(3);
  });

  it('returns 2 for a class that does not exist, naming the classes there are', async () => {
    const out = path.join(await tempDir(), 'preview');
    expect(await main(['preview', '--config', config, '--out', out, '--class', 'yak'])).toBe(2);
    expect(complained()).toBe(`tributary preview: --class yak: no such class (classes are: ${CLASSES.join(', ')})`);
    expect(existsSync(out)).toBe(false);
  });

  it('returns 2 without --out', async () => {
    expect(await main(['preview', '--config', config])).toBe(2);
    expect(complained()).toMatch(/^tributary preview: --out is required$/);
  });
});

describe('tributary usage and config errors', () => {
  it('returns 2 naming the file when the config does not exist', async () => {
    const missing = path.join(dir, 'no-such-party.yaml');
    expect(await main(['scan', '--config', missing])).toBe(2);
    expect(complained()).toContain(missing);
    expect(complained()).toMatch(/no such file/);
  });

  it('returns 2 with file:line and the key for a schema error', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await fsp.writeFile(bad, ['data:', '  name: ImageFolder', '  info:', '    train: train', '    batch_size: zero', ''].join('\n'));
    expect(await main(['scan', '--config', bad])).toBe(2);
    expect(complained()).toContain(`${bad}:5: data.info.batch_size: `);
    expect(complained()).toMatch(/whole number/);
    const typo = path.join(dir, 'typo.yaml');
    await fsp.writeFile(typo, ['data:', '  name: ImageFolder', '  infoo: {}', ''].join('\n'));
    expect(await main(['preview', '--config', typo, '--out', path.join(dir, 'never')])).toBe(2);
    expect(complained()).toContain(`${typo}:3: data: unknown key "infoo" (did you mean "info"?)`);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });

  it('returns 2 for a missing --config or an unknown option', async () => {
    expect(await main(['scan'])).toBe(2);
    expect(complained()).toContain('--config is required');
    spies.error.mockClear();
    expect(await main(['scan', '--config', config, '--bogus'])).toBe(2);
    expect(complained()).toContain("'--bogus'");
  });
});
