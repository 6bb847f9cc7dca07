// Tests (Node, real files and decode threads): every contract method of the services host, through the contract's door.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName } from '../../../common/contract/contract.js';
import { PNG_SIGNATURE } from '../../../main/data/decode/png-encode.js';
import { hostClient } from '../../../main/services/host-client.js';
import { createServicesHost } from '../../../main/services/services-host.js';
import type { ServicesHost } from '../../../main/services/services-host.js';
import type { ServicesClient } from '../../../main/services/services-client.js';
import { CLASSES, makeParty, PARTY_YAML } from './party-fixture.js';
import type { Party } from './party-fixture.js';

let party: Party;
let host: ServicesHost;
let services: ServicesClient;
const heard: { event: EventName; payload: unknown }[] = [];

beforeAll(async () => {
  party = await makeParty();
  host = createServicesHost({ version: '9.9.9', startConfig: party.config });
  services = hostClient(host);
  services.subscribe((event, payload) => heard.push({ event, payload }));
});
afterAll(async () => {
  await host.close();
  await fsp.rm(party.dir, { recursive: true, force: true });
});

/** The value of a call that must succeed. */
async function value<T = Record<string, unknown>>(method: Parameters<ServicesClient['call']>[0], args: unknown): Promise<T> {
  const result = await services.call(method, args);
  if (!result.ok) throw new Error(`${method} failed: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

describe('app.info', () => {
  it('says the version and the config the session started with', async () => {
    expect(await value('app.info', {})).toEqual({ version: '9.9.9', startConfig: party.config, recentConfigs: [] });
  });
});

describe('config', () => {
  it('open: the text, the YAML as data, no issues; remembers the file and announces it', async () => {
    const opened = await value('config.open', { file: party.config });
    expect(opened).toMatchObject({ file: party.config, text: PARTY_YAML, valid: true, issues: [] });
    expect(opened.parsed).toMatchObject({ data: { name: 'ImageFolder', info: { train: 'train', batch_size: 4 } } });
    expect(heard).toContainEqual({ event: 'config.opened', payload: { file: party.config } });
    expect(await value('app.info', {})).toMatchObject({ recentConfigs: [party.config] });
  });

  it('validate: every problem of unsaved text on its key and line, in plain words', async () => {
    const text = PARTY_YAML.replace('batch_size: 4', 'batch_size: 0').replace('color_mode: grayscale', 'colour_mode: grayscale');
    const checked = await value('config.validate', { file: party.config, text });
    expect(checked.valid).toBe(false);
    expect(checked.issues).toEqual([
      { key: 'data.info', line: 7, problem: 'unknown key "colour_mode" (did you mean "color_mode"?)' },
      { key: 'data.info.batch_size', line: 8, problem: 'expected a whole number >= 1, got 0' },
    ]);
  });

  it('validate: YAML syntax, a handler name that is no built-in, a file that is no mapping', async () => {
    const syntax = await value('config.validate', { file: party.config, text: 'data:\n  name: [unclosed\n' });
    expect(syntax).toMatchObject({ parsed: null, valid: false, issues: [{ key: '', problem: expect.stringMatching(/^YAML syntax/) }] });
    const unknown = await value('config.validate', { file: party.config, text: PARTY_YAML.replace('ImageFolder', 'ImageFolders') });
    expect(unknown.issues).toEqual([{ key: 'data.name', line: 3, problem: expect.stringContaining('did you mean "ImageFolder"?') }]);
    const list = await value('config.validate', { file: party.config, text: '- a\n- b\n' });
    expect(list).toMatchObject({ parsed: null, issues: [{ problem: expect.stringContaining('YAML mapping') }] });
  });

  it('save: refuses text with problems (config-invalid, with the issues) and leaves the file as it was', async () => {
    const result = await services.call('config.save', { file: party.config, text: PARTY_YAML.replace('batch_size: 4', 'batch_size: -1') });
    expect(result).toMatchObject({ ok: false, error: { code: 'config-invalid', issues: [{ key: 'data.info.batch_size', line: 8 }] } });
    expect(await fsp.readFile(party.config, 'utf8')).toBe(PARTY_YAML);
  });

  it('save: writes the text exactly as typed (comments too), keeping the file mode, with no temp file left', async () => {
    await fsp.chmod(party.config, 0o640);
    const text = PARTY_YAML.replace('batch_size: 4     # small on purpose', 'batch_size: 3     # changed, comment kept');
    expect(await value('config.save', { file: party.config, text })).toMatchObject({ valid: true, issues: [] });
    expect(await fsp.readFile(party.config, 'utf8')).toBe(text);
    expect((await fsp.stat(party.config)).mode & 0o777).toBe(0o640);
    expect((await fsp.readdir(party.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await value('config.save', { file: party.config, text: PARTY_YAML });
  });

  it('open: a missing file fails with the reason; a non-YAML path never reaches the service', async () => {
    expect(await services.call('config.open', { file: path.join(party.dir, 'nope.yaml') })).toMatchObject({
      ok: false,
      error: { code: 'failed', message: expect.stringContaining('no such file') },
    });
    expect(await services.call('config.open', { file: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});

describe('dataset', () => {
  it('scan: counts per class, sizes, the unreadable file, and progress events', async () => {
    heard.length = 0;
    const { file, splits } = await value<{ file: string; splits: Record<string, unknown>[] }>('dataset.scan', { file: party.config });
    expect(file).toBe(party.config);
    const [train, test] = splits;
    expect(train).toMatchObject({
      split: 'train',
      samples: 13,
      readable: 12,
      unreadableCount: 1,
      sizes: [{ key: '8x8', count: 12 }],
      sampleShape: { height: 8, width: 8, channels: 1 },
    });
    expect(train!.classes).toEqual(CLASSES.map((key) => ({ key, count: 4 })));
    expect(train!.unreadable).toEqual([
      { index: expect.any(Number), source: path.join(party.dir, 'train', 'cat', 'broken.png'), reason: expect.any(String) },
    ]);
    expect(test).toMatchObject({ split: 'test', samples: 6, readable: 6 });
    const progress = heard.filter((h) => h.event === 'dataset.scanProgress').map((h) => h.payload);
    expect(progress).toContainEqual({ file: party.config, split: 'train', done: 13, total: 13 });
    expect(progress).toContainEqual({ file: party.config, split: 'test', done: 6, total: 6 });
  });

  it('preview: n samples as PNG bytes with label and source; the same seed draws the same samples', async () => {
    type Preview = { classNames: string[]; samples: { png: Uint8Array; className: string; source: string; index: number }[] };
    const first = await value<Preview>('dataset.preview', { file: party.config, split: 'test', n: 4, seed: 7 });
    expect(first.classNames).toEqual(CLASSES);
    expect(first.samples).toHaveLength(4);
    for (const sample of first.samples) {
      expect(sample.png).toBeInstanceOf(Uint8Array);
      expect([...sample.png.subarray(0, 8)]).toEqual([...PNG_SIGNATURE]);
      expect(sample.source).toBe(path.join(party.dir, 'test', sample.className, path.basename(sample.source)));
    }
    const again = await value<Preview>('dataset.preview', { file: party.config, split: 'test', n: 4, seed: 7 });
    expect(again.samples.map((s) => s.index)).toEqual(first.samples.map((s) => s.index));
  });

  it('preview: one class only; an unknown class or a missing split fails with the reason', async () => {
    const dogs = await value<{ samples: { className: string }[] }>('dataset.preview', { file: party.config, n: 3, className: 'dog' });
    expect(dogs.samples.map((s) => s.className)).toEqual(['dog', 'dog', 'dog']);
    expect(await services.call('dataset.preview', { file: party.config, className: 'gnu' })).toMatchObject({
      ok: false,
      error: { code: 'failed', message: expect.stringContaining('no class "gnu"') },
    });
    await fsp.writeFile(path.join(party.dir, 'train-only.yaml'), PARTY_YAML.replace('    test: test\n', ''));
    expect(await services.call('dataset.preview', { file: path.join(party.dir, 'train-only.yaml'), split: 'test' })).toMatchObject({
      ok: false,
      error: { message: 'the config has no test split' },
    });
  });

  it('scan: a config whose folders are missing fails config-invalid, placed on the key', async () => {
    await fsp.writeFile(path.join(party.dir, 'missing.yaml'), PARTY_YAML.replace('train: train', 'train: nowhere'));
    const result = await services.call('dataset.scan', { file: path.join(party.dir, 'missing.yaml') });
    expect(result).toMatchObject({ ok: false, error: { code: 'config-invalid', issues: [{ key: 'data.info.train', line: 5 }] } });
  });
});
