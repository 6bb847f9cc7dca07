// Tests (Node, real files and decode threads): the new-site methods through the contract's door: recognise, scan, create.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { hostClient } from '../../../main/services/host-client.js';
import { createServicesHost } from '../../../main/services/services-host.js';
import type { ServicesHost } from '../../../main/services/services-host.js';
import type { ServicesClient } from '../../../main/services/services-client.js';
import { cleanTree, tempDir } from '../../fixtures/corpus.js';

const CLASSES = ['cat', 'dog', 'emu'];
let dir: string;
let host: ServicesHost;
let services: ServicesClient;
const progress: unknown[] = [];

beforeAll(async () => {
  dir = await tempDir('tributary-site-');
  await cleanTree(path.join(dir, 'data', 'train'), CLASSES, 4);
  await cleanTree(path.join(dir, 'data', 'test'), CLASSES, 2);
  await fsp.writeFile(path.join(dir, 'data', 'train', 'cat', 'broken.png'), 'not a png');
  host = createServicesHost({ version: '9.9.9' });
  services = hostClient(host);
  services.subscribe((event, payload) => event === 'dataset.scanProgress' && progress.push(payload));
});
afterAll(async () => {
  await host.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function value<T = Record<string, unknown>>(method: Parameters<ServicesClient['call']>[0], args: unknown): Promise<T> {
  const result = await services.call(method, args);
  if (!result.ok) throw new Error(`${method} failed: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

describe('site', () => {
  it('recognise: the handler, its info, why, what else was considered, how much was read, and the text for party.yaml in the folder', async () => {
    const data = path.join(dir, 'data');
    const proposal = await value('site.recognise', { folder: data });
    expect(proposal).toMatchObject({
      folder: data,
      handler: 'ImageFolder',
      info: { train: path.join(data, 'train'), test: path.join(data, 'test'), class_names: CLASSES, color_mode: 'grayscale' },
      file: path.join(data, 'party.yaml'),
      exists: false,
    });
    expect(proposal.why).toMatch(/^train and test each hold one sub-folder of images per class/);
    expect((proposal.considered as { handler: string }[]).map((c) => c.handler)).toEqual(['Dicom', 'Nifti', 'Idx', 'CsvManifest']);
    expect(proposal.sampled).toMatch(/^looked at \d+ entries in 9 folders, all of them$/);
    expect(proposal.text).toContain('    train: train\n');
  });

  it('scan: every split decoded before anything is written, with progress events naming the proposed file', async () => {
    const data = path.join(dir, 'data');
    const { file, splits } = await value<{ file: string; splits: { split: string; samples: number; readable: number }[] }>('site.scan', {
      folder: data,
    });
    expect(file).toBe(path.join(data, 'party.yaml'));
    expect(splits.map(({ split, samples, readable }) => ({ split, samples, readable }))).toEqual([
      { split: 'train', samples: 13, readable: 12 },
      { split: 'test', samples: 6, readable: 6 },
    ]);
    expect(progress).toContainEqual({ file, split: 'test', done: 6, total: 6 });
    await expect(fsp.access(file)).rejects.toThrow();
  });

  it('create: writes where asked with paths relative to it, and never replaces a file unless asked', async () => {
    const data = path.join(dir, 'data');
    const file = path.join(dir, 'configs', 'site.yaml');
    await fsp.mkdir(path.dirname(file));
    const created = await value<{ file: string; text: string }>('site.create', { folder: data, file });
    expect(created.file).toBe(file);
    expect(await fsp.readFile(file, 'utf8')).toBe(created.text);
    const loaded = await loadPartyConfig(file);
    expect(path.resolve(loaded.baseDir, loaded.config.data.info.train as string)).toBe(path.join(data, 'train'));
    const again = await services.call('site.create', { folder: data, file });
    expect(again).toEqual({ ok: false, error: { code: 'failed', message: `${file} exists: not overwritten` } });
    expect(await value('site.create', { folder: data, file, replace: true })).toMatchObject({ file });
  });

  it('a folder that does not exist or that no handler reads, and a file that is not YAML: refused, saying why', async () => {
    const missing = path.join(dir, 'missing');
    expect(await services.call('site.recognise', { folder: missing })).toEqual({
      ok: false,
      error: { code: 'failed', message: `folder ${missing} does not exist` },
    });
    await fsp.mkdir(path.join(dir, 'notes'));
    await fsp.writeFile(path.join(dir, 'notes', 'a.txt'), 'x');
    const unread = await services.call('site.scan', { folder: path.join(dir, 'notes') });
    expect(unread.ok || unread.error.message).toMatch(/^no built-in handler recognises .*notes/);
    const bad = await services.call('site.create', { folder: path.join(dir, 'data'), file: path.join(dir, 'evil.sh') });
    expect(bad.ok || bad.error.code).toBe('bad-request');
  });
});
