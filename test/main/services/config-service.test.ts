// Tests (Node, real files): the config methods on text and files that are hostile: alias loops, folders, oversized files.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES } from '../../../main/config/yaml-config.js';
import { invokeMethod } from '../../../main/services/dispatch.js';
import { createServicesHost } from '../../../main/services/services-host.js';
import type { ServicesHost } from '../../../main/services/services-host.js';

const LOOP = 'data:\n  name: ImageFolder\n  info: &info\n    train: ./train\n    more: [*info]\n';

let dir: string;
let host: ServicesHost;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tributary-config-service-'));
  host = createServicesHost({ version: '9.9.9' });
});
afterAll(async () => {
  await host.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** A call as the console's bridge answers it: the result goes over the wire as JSON. */
async function call(method: 'config.open' | 'config.validate' | 'config.save', args: unknown): Promise<unknown> {
  return JSON.parse(JSON.stringify(await invokeMethod(host.handlers, method, args))) as unknown;
}

describe('config methods', () => {
  it('validate and save: an alias inside the value it repeats is an issue on its line, not a crash', async () => {
    const file = path.join(dir, 'party.yaml');
    const issue = {
      key: 'data.info.more[0]',
      line: 5,
      problem: 'alias *info is inside the value &info it repeats, so that value would never end',
    };
    expect(await call('config.validate', { file, text: LOOP })).toEqual({
      ok: true,
      value: { parsed: null, valid: false, issues: [issue] },
    });
    expect(await call('config.save', { file, text: LOOP })).toMatchObject({
      ok: false,
      error: { code: 'config-invalid', issues: [issue] },
    });
    await expect(fsp.stat(file)).rejects.toThrow('ENOENT');
  });

  it('open: a file with an alias loop opens with its issue; a folder and an oversized file are refused by name', async () => {
    const loop = path.join(dir, 'loop.yaml');
    await fsp.writeFile(loop, LOOP);
    const opened = { file: loop, text: LOOP, parsed: null, valid: false, issues: [{ line: 5 }] };
    expect(await call('config.open', { file: loop })).toMatchObject({ ok: true, value: opened });
    const folder = path.join(dir, 'folder.yaml');
    await fsp.mkdir(folder);
    const notAFile = `${folder}: cannot read the config: it is a folder, not a file`;
    expect(await call('config.open', { file: folder })).toEqual({ ok: false, error: { code: 'failed', message: notAFile } });
    const large = path.join(dir, 'large.yaml');
    await fsp.writeFile(large, Buffer.alloc(MAX_CONFIG_BYTES + 1, '#'));
    const tooLarge = expect.stringContaining('a config is at most 1 MB') as unknown;
    expect(await call('config.open', { file: large })).toMatchObject({ ok: false, error: { code: 'failed', message: tooLarge } });
  });
});
