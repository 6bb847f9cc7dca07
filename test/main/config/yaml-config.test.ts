// Tests (Node, real files): the one YAML config reader: aliases that cannot become data, size and kind of file, each on its line.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../main/config/errors.js';
import { MAX_CONFIG_BYTES, parseYamlConfig, readYamlConfig } from '../../../main/config/yaml-config.js';
import type { ConfigPath } from '../../../main/config/yaml-config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-yaml-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LOOP = 'alias *x is inside the value &x it repeats, so that value would never end';

function problems(text: string): string[] {
  try {
    parseYamlConfig(text, '/sites/a/party.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message.split('\n');
  }
  throw new Error('the text was accepted');
}

describe('parseYamlConfig', () => {
  it('refuses an alias inside the value it repeats, on its line and key, however deep the loop', () => {
    expect(problems('a: &x [*x]\n')).toEqual([`/sites/a/party.yaml:1: a[0]: ${LOOP}`]);
    expect(problems('data: &x\n  name: Idx\n  info: *x\n')).toEqual([`/sites/a/party.yaml:3: data.info: ${LOOP}`]);
    expect(problems('data:\n  info:\n    deep: &x\n      - [1, {y: *x}]\n')).toEqual([
      `/sites/a/party.yaml:4: data.info.deep[0][1].y: ${LOOP}`,
    ]);
  });

  it('keeps aliases that repeat an earlier value, and takes the last anchor of a name before the alias', () => {
    expect(parseYamlConfig('a: &x [1, 2]\nb: *x\nc: &x 3\nd: [*x]\n', 'f.yaml').value).toEqual({ a: [1, 2], b: [1, 2], c: 3, d: [3] });
    // The same name anchored again around the alias: it repeats the outer node, a loop.
    expect(problems('a: &x 1\nb: &x [*x]\n')).toEqual([`/sites/a/party.yaml:2: b[0]: ${LOOP}`]);
  });

  it('names an alias with no anchor above it, every one at once', () => {
    expect(problems('a: *later\nb: &later 1\nc: [*none]\n')).toEqual([
      '/sites/a/party.yaml:1: a: alias *later names no anchor &later above it',
      '/sites/a/party.yaml:3: c[0]: alias *none names no anchor &none above it',
    ]);
  });

  it('refuses a document that is not a mapping, on its line', () => {
    expect(problems('# a list\n- a\n- b\n')).toEqual([
      '/sites/a/party.yaml:2: a config is a YAML mapping of keys to values; this one is a list',
    ]);
    expect(problems('just words')).toEqual([
      '/sites/a/party.yaml:1: a config is a YAML mapping of keys to values; this one is a single value ("just words")',
    ]);
  });

  it('refuses text over the size limit, counted in UTF-8 bytes, before parsing it', () => {
    const text = `a: "${'é'.repeat(MAX_CONFIG_BYTES / 2)}"\n`; // half as many characters as bytes
    expect(problems(text)).toEqual([`/sites/a/party.yaml: it is ${MAX_CONFIG_BYTES + 6} bytes; a config is at most 1 MB`]);
  });

  it('places a key on its own line, and a missing key on its nearest ancestor', () => {
    const { lineOf } = parseYamlConfig('listen:\n  grpc: 1.2.3.4:1\nlist:\n  - a\n  - b\n', 'f.yaml');
    const asked: ConfigPath[] = [['listen'], ['listen', 'grpc'], ['listen', 'rest'], ['list', 1], ['nope']];
    expect(asked.map(lineOf)).toEqual([1, 2, 1, 5, undefined]);
  });
});

describe('readYamlConfig', () => {
  it('refuses a folder, a file over the limit and a missing file, naming the file', async () => {
    const folder = path.join(dir, 'folder.yaml');
    await mkdir(folder);
    const large = path.join(dir, 'large.yaml');
    await writeFile(large, `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    const messages = await Promise.all(
      [folder, large, path.join(dir, 'absent.yaml')].map((file) => readYamlConfig(file).catch((error: unknown) => error)),
    );
    expect(messages.map((error) => (error as ConfigError).message)).toEqual([
      `${folder}: cannot read the config: it is a folder, not a file`,
      `${large}: cannot read the config: it is ${MAX_CONFIG_BYTES + 3} bytes; a config is at most 1 MB`,
      `${path.join(dir, 'absent.yaml')}: cannot read the config: no such file`,
    ]);
  });
});
