// Tests (Node, real files, threads and a killed child process): the decoded cache survives crashes, keys and locks correctly.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageFolder } from '../../../main/data/builtins/image-folder.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import type { ImageFilesGenerator } from '../../../main/data/image-generator.js';
import { cleanTree, tempDir } from '../../fixtures/corpus.js';

const opened: DataSplits[] = [];
afterEach(async () => {
  for (const splits of opened.splice(0)) await Promise.all([splits.train?.close(), splits.test?.close()]);
});

async function open(info: Record<string, unknown>, baseDir: string): Promise<ImageFilesGenerator> {
  const splits = await new ImageFolder(info, { baseDir }).getData();
  opened.push(splits);
  return splits.train as ImageFilesGenerator;
}

const cacheFiles = async (dir: string) => (await fsp.readdir(dir)).filter((f) => f.endsWith('.tcache')).sort();

describe('decoded cache', () => {
  it('keeps what a killed run decoded: the slot table is written every few seconds, not only at epoch end', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a', 'b'], 200);
    const info = { train: 'train', batch_size: 4, prefetch: 1, cache: true, cache_dir: 'cache' };
    const script = fileURLToPath(new URL('../../fixtures/slow-epoch.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, JSON.stringify(info)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = 0;
    // The child prints a line per batch, slowly (as a long epoch would): kill it once well past one flush interval.
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.toString().split('\n').filter(Boolean).length;
        if (seen >= 35) resolve();
      }),
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const train = await open(info, dir);
    const cached = train.sampleCount - train.cache!.missing;
    expect(cached).toBeGreaterThan(0);
    expect(cached).toBeLessThanOrEqual(seen * 4);
  }, 20_000);

  it('names another cache when max_pixels changes, so a raised limit is not ignored', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 3);
    await (await open({ train: 'train', cache: true, cache_dir: 'cache' }, dir)).close();
    await (await open({ train: 'train', cache: true, cache_dir: 'cache', max_pixels: 1000 }, dir)).close();
    expect(await cacheFiles(path.join(dir, 'cache'))).toHaveLength(2);
  });

  it('tries a failed sample again next epoch instead of caching the failure', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 3);
    const broken = path.join(dir, 'train', 'a', '001.png');
    const good = await fsp.readFile(broken);
    await fsp.writeFile(broken, 'not yet');
    const train = await open({ train: 'train', batch_size: 8, cache: true, cache_dir: 'cache' }, dir);
    for await (const _ of train.iterateEpoch()) void _;
    expect(train.lastEpochSummary!.skipped).toBe(1);
    await fsp.writeFile(broken, good); // the file is fixed (or the share is back)
    for await (const _ of train.iterateEpoch()) void _;
    expect(train.lastEpochSummary!.skipped).toBe(0);
    expect(train.cache!.missing).toBe(0);
  });

  it('lets one writer at a time use a cache: a second generator goes without, and says why', async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 3);
    const info = { train: 'train', cache: true, cache_dir: 'cache' };
    const first = await open(info, dir);
    const second = await open(info, dir);
    expect(first.cache).toBeDefined();
    expect(second.cache).toBeUndefined();
    expect(second.notes[0]).toMatch(/decoding without a cache: .*in use by another generator in this process/);
    expect((await second.getBatch(0)).indices).toHaveLength(3);
    await first.close();
    const third = await open(info, dir);
    expect(third.cache).toBeDefined();
  });

  it("honours another live process's lock and takes over a dead one's", async () => {
    const dir = await tempDir();
    await cleanTree(path.join(dir, 'train'), ['a'], 3);
    const info = { train: 'train', cache: true, cache_dir: 'cache' };
    await (await open(info, dir)).close();
    const lock = path.join(dir, 'cache', `${(await cacheFiles(path.join(dir, 'cache')))[0]}.lock`);
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    try {
      await fsp.writeFile(lock, String(sleeper.pid));
      expect((await open(info, dir)).notes[0]).toMatch(new RegExp(`being written by process ${sleeper.pid}`));
    } finally {
      sleeper.kill();
      await new Promise((resolve) => sleeper.on('exit', resolve));
    }
    expect((await open(info, dir)).cache).toBeDefined(); // the lock's process is gone: it is taken over
  });
});

describe('readImageFile (the SDK one)', () => {
  it('gives each read a buffer of its own, so overlapping reads in a site handler cannot overwrite each other', async () => {
    const { readImageFile } = await import('../../../main/data/sdk.js');
    const dir = await tempDir();
    await fsp.writeFile(path.join(dir, 'a.bin'), 'first file');
    await fsp.writeFile(path.join(dir, 'b.bin'), 'second');
    const a = readImageFile(path.join(dir, 'a.bin'), 1000);
    const b = readImageFile(path.join(dir, 'b.bin'), 1000);
    expect(Buffer.from(a).toString()).toBe('first file');
    expect(Buffer.from(b).toString()).toBe('second');
    expect(a.buffer).not.toBe(b.buffer);
  });
});
