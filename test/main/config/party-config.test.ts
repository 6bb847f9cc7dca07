// Tests (Node): party config loading with every problem on its YAML line and in plain words, and atomic, comment-keeping saves.
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ImageFolderInfoSchema } from '../../../common/data-config.js';
import type { PartyConfig } from '../../../common/party-config.js';
import { ConfigError, closestMatch } from '../../../main/config/errors.js';
import { loadPartyConfig, savePartyConfig, validateSection } from '../../../main/config/party-config.js';
import { createGrpcTransport } from '../../../main/federation/transport/grpc-client.js';
import { generateNodeIdentity } from '../../../main/federation/transport/node-identity.js';
import { restBaseUrl } from '../../../main/federation/transport/rest-client.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(text: string, name = 'party.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

async function failure(run: Promise<unknown>): Promise<ConfigError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadPartyConfig', () => {
  it('returns the absolute file, its folder, the parsed config and a line lookup', async () => {
    const file = await configFile('# site A\ndata:\n  name: Idx\n  info:\n    train_images: ./train.idx\n');
    const loaded = await loadPartyConfig(path.relative(process.cwd(), file));
    expect(loaded.file).toBe(file);
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.config).toEqual({
      data: { name: 'Idx', info: { train_images: './train.idx' }, on_non_finite: 'fail' },
      training: { epochs: 1, backend: 'auto' },
    });
    expect(loaded.lineOf(['data', 'info', 'train_images'])).toBe(5);
    // A key the file lacks is placed on its nearest ancestor that it has.
    expect(loaded.lineOf(['data', 'path'])).toBe(2);
    expect(loaded.lineOf(['data', 'info', 'nope'])).toBe(4);
  });

  it('fills in defaults (an absent info is an empty mapping)', async () => {
    const loaded = await loadPartyConfig(await configFile('data:\n  name: Mine\n  path: ./mine.mjs\n'));
    expect(loaded.config.data).toEqual({ name: 'Mine', path: './mine.mjs', info: {}, on_non_finite: 'fail' });
  });

  it('names an unknown key on its own line and suggests the key that was meant', async () => {
    const file = await configFile('data:\n  name: Mine\n  pth: ./mine.mjs\n');
    const error = await failure(loadPartyConfig(file));
    expect(error.message).toBe(`${file}:3: data: unknown key "pth" (did you mean "path"?)`);
    expect(error).toMatchObject({ file, key: 'data', line: 3 });
  });

  it('says what type was expected and what the file has', async () => {
    const file = await configFile('data:\n  name: 42\n');
    const error = await failure(loadPartyConfig(file));
    expect(error.message).toBe(`${file}:2: data.name: expected non-empty text, got 42`);
  });

  it('reports a YAML syntax error with the line yaml gives', async () => {
    const file = await configFile('data:\n  name: Idx\n  name: Idx\n');
    const error = await failure(loadPartyConfig(file));
    expect(error.line).toBe(3);
    expect(error.message).toMatch(new RegExp(`^${escape(file)}:3: YAML syntax: .*unique`));
  });

  it('reports a missing file by name', async () => {
    const file = path.join(dir, 'absent.yaml');
    const error = await failure(loadPartyConfig(file));
    expect(error.message).toBe(`${file}: cannot read the config: no such file`);
    expect(error.key).toBe('');
  });

  it('reports every schema issue at once, one per line, in file order', async () => {
    const file = await configFile('dat:\n  name: Idx\nfederaton: x\n');
    const error = await failure(loadPartyConfig(file));
    expect(error.issues.map((i) => [i.key, i.line])).toEqual([
      ['', 1],
      ['', 3],
      ['data', undefined],
    ]);
    expect(error.message.split('\n')).toEqual([
      `${file}:1: unknown key "dat" (did you mean "data"?)`,
      `${file}:3: unknown key "federaton" (did you mean "federation"?)`,
      `${file}: data: missing: expected a mapping with keys name, path, info, on_non_finite`,
    ]);
  });

  it('reads the model and training sections, with their defaults', async () => {
    const file = await configFile(
      'data:\n  name: Idx\nmodel:\n  builtin: mnist-cnn\n  optimizer: sgd\ntraining:\n  epochs: 3\n  threads: 2\n',
    );
    const { config } = await loadPartyConfig(file);
    expect(config.model).toEqual({
      builtin: 'mnist-cnn',
      optimizer: 'sgd',
      learning_rate: 0.001,
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
      seed: 0,
    });
    expect(config.training).toEqual({ epochs: 3, backend: 'auto', threads: 2 });
  });

  it('places mistakes in the model and training sections on their lines, with the name that was meant', async () => {
    const file = await configFile(
      [
        'data:',
        '  name: Idx',
        'model:',
        '  builtin: mnist-cnn',
        '  optimiser: adam',
        '  loss: categorical_crossentropy',
        'training:',
        '  backend: wams',
        '  epochs: 0',
        '',
      ].join('\n'),
    );
    const error = await failure(loadPartyConfig(file));
    expect(error.message.split('\n')).toEqual([
      `${file}:5: model: unknown key "optimiser" (did you mean "optimizer"?)`,
      expect.stringMatching(
        new RegExp(
          `^${escape(file)}:6: model\\.loss: expected one of "categoricalCrossentropy", .*, ` +
            `got "categorical_crossentropy" \\(did you mean "categoricalCrossentropy"\\?\\)$`,
        ),
      ),
      `${file}:8: training.backend: expected one of "auto", "tensorflow", "wasm", "cpu", got "wams" (did you mean "wasm"?)`,
      `${file}:9: training.epochs: expected a whole number >= 1, got 0`,
    ]);
    const neither = await configFile('data:\n  name: Idx\nmodel:\n  seed: 3\n', 'neither.yaml');
    expect((await failure(loadPartyConfig(neither))).message).toBe(
      `${neither}:3: model: set \`builtin\` (mnist-cnn or mlp or resnet or mobilenetv2 or cnn3d) or \`path\` (a model.json)`,
    );
  });

  it('treats an empty file as one missing its data section', async () => {
    const file = await configFile('# nothing yet\n');
    const error = await failure(loadPartyConfig(file));
    expect(error.message).toBe(`${file}: data: missing: expected a mapping with keys name, path, info, on_non_finite`);
  });

  it('refuses an alias inside the value it repeats (a loop) on its file, line and key, instead of loading a structure without end', async () => {
    const file = await configFile('data: &site\n  name: Idx\n  info:\n    train_images: ./train.idx\n    again: *site\n');
    const error = await failure(loadPartyConfig(file));
    expect(error.message).toBe(
      `${file}:5: data.info.again: alias *site is inside the value &site it repeats, so that value would never end`,
    );
    expect(error).toMatchObject({ file, key: 'data.info.again', line: 5 });
  });

  it('refuses an alias bomb instead of expanding it', async () => {
    const file = await configFile(`lol: &lol [x, x, x, x, x, x, x, x, x, x]\nlols: [${Array(200).fill('*lol').join(', ')}]\n`);
    const error = await failure(loadPartyConfig(file));
    expect(error.message).toMatch(/alias/i);
  });
});

describe('federation.server', () => {
  const federation = (lines: string[]) =>
    configFile(['data:', '  name: Idx', 'federation:', ...lines.map((line) => `  ${line}`), ''].join('\n'));

  it('refuses, when the config loads, a server its transport cannot use, on the server line', async () => {
    const cases: [string[], string][] = [
      [
        ['transport: rest', 'server: http://fl.example.org:9095'],
        'REST address http://fl.example.org:9095 is plain http: use https://, or set insecure: true to allow plain text',
      ],
      [
        ['transport: rest', 'insecure: true', 'server: https://fl.example.org:9095'],
        'REST address https://fl.example.org:9095 is https but insecure: true is set; drop one of them',
      ],
      [['transport: rest', 'server: ftp://fl.example.org'], 'REST address ftp://fl.example.org: only http:// and https:// are possible'],
      [['transport: rest', 'server: "fl example:9095"'], 'REST address fl example:9095: not a URL: give host:port or http(s)://host:port'],
      [
        ['insecure: true', 'server: http://fl.example.org:9092'],
        'gRPC address http://fl.example.org:9092: give host:port (TLS or plain text is set by insecure, not by a scheme), ' +
          'or set transport: rest for a REST server',
      ],
    ];
    for (const [lines, problem] of cases) {
      const file = await federation(lines);
      const error = await failure(loadPartyConfig(file));
      expect(error.message).toBe(`${file}:${3 + lines.length}: federation.server: ${problem}`);
    }
  });

  it('says what the transports say: the schema accepts an address exactly when the transport does', async () => {
    const outcomes = new Set<boolean>();
    const addresses = [
      'fl.example.org:9092',
      '[::1]:9095',
      'http://fl.example.org:9095',
      'https://gw.example.org/flower',
      'HTTPS://fl.example.org',
    ].concat(['ftp://x', 'dns:///fl.example.org:9092', 'a b:1']);
    for (const server of addresses) {
      for (const insecure of [false, true]) {
        const rest = await federation(['transport: rest', `server: ${JSON.stringify(server)}`, `insecure: ${insecure}`]);
        const restAccepted = await loadPartyConfig(rest).then(
          () => true,
          () => false,
        );
        expect([server, insecure, restAccepted]).toEqual([server, insecure, acceptedBy(() => restBaseUrl(server, insecure))]);
        const grpc = await federation([`server: ${JSON.stringify(server)}`, `insecure: ${insecure}`]);
        const grpcAccepted = await loadPartyConfig(grpc).then(
          () => true,
          () => false,
        );
        const transport = await createGrpcTransport({ address: server, insecure, identity: generateNodeIdentity() }).catch(() => undefined);
        transport?.close();
        expect([server, insecure, grpcAccepted]).toEqual([server, insecure, transport !== undefined]);
        outcomes.add(restAccepted).add(grpcAccepted);
      }
    }
    expect(outcomes).toEqual(new Set([true, false]));
  });
});

function acceptedBy(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

describe('validateSection', () => {
  const yaml = [
    'data:',
    '  name: ImageFolder',
    '  info:',
    '    train: ./train',
    '    batch_size: 64x',
    '    imge_size: [28, 28]',
    '    color_mode: rbg',
    '    prefetch: 0',
    '',
  ].join('\n');

  async function infoIssues() {
    const loaded = await loadPartyConfig(await configFile(yaml));
    const place = { file: loaded.file, lineOf: loaded.lineOf, keyPrefix: ['data', 'info'] };
    return {
      loaded,
      error: await failure(Promise.resolve().then(() => validateSection(ImageFolderInfoSchema, loaded.config.data.info, place))),
    };
  }

  it('maps each issue of a section to its key and line, in plain words', async () => {
    const { loaded, error } = await infoIssues();
    const f = loaded.file;
    expect(error.message.split('\n')).toEqual([
      `${f}:5: data.info.batch_size: expected a whole number >= 1, got "64x"`,
      `${f}:6: data.info: unknown key "imge_size" (did you mean "image_size"?)`,
      `${f}:7: data.info.color_mode: expected one of "grayscale", "rgb", got "rbg" (did you mean "rgb"?)`,
      `${f}:8: data.info.prefetch: expected a whole number from 1 to 64, got 0`,
    ]);
    expect(error).toMatchObject({ file: f, key: 'data.info.batch_size', line: 5 });
  });

  it('places list items and refinements', async () => {
    const loaded = await loadPartyConfig(await configFile('data:\n  name: ImageFolder\n  info:\n    image_size:\n      - 28\n      - 0\n'));
    const place = { file: loaded.file, lineOf: loaded.lineOf, keyPrefix: ['data', 'info'] };
    const error = await failure(Promise.resolve().then(() => validateSection(ImageFolderInfoSchema, loaded.config.data.info, place)));
    expect(error.message.split('\n')).toEqual([
      `${loaded.file}:3: data.info: name at least one of \`train\` and \`test\``,
      `${loaded.file}:6: data.info.image_size[1]: expected a whole number >= 1, got 0`,
    ]);
    const refined = await failure(Promise.resolve().then(() => validateSection(ImageFolderInfoSchema, {}, place)));
    expect(refined.message).toBe(`${loaded.file}:3: data.info: name at least one of \`train\` and \`test\``);
  });

  it('says what is really wrong with a number: too large for a whole number, not a number, infinite, -0, text', async () => {
    const cases: [string, string][] = [
      ['1e20', '1e20 is too large: a whole number here is at most 9007199254740991'],
      ['9007199254740993', '9007199254740992 is too large: a whole number here is at most 9007199254740991'],
      ['-1e20', 'expected a whole number >= 1, got -1e20'], // its own bound only, not zod's safe-integer bound as well
      ['-0', 'expected a whole number >= 1, got -0'],
      ['.nan', 'expected a whole number >= 1, got NaN (not a number)'],
      ['1e400', 'expected a whole number >= 1, got infinity'],
      ['-.inf', 'expected a whole number >= 1, got -infinity'],
      ['2.5', 'expected a whole number >= 1, got 2.5'],
      ['"32"', 'expected a whole number >= 1, got "32", which is text: write the number as 32'],
      ['1_024', 'expected a whole number >= 1, got "1_024", which is text: write the number as 1024'],
      ['NaN', 'expected a whole number >= 1, got "NaN"'],
    ];
    for (const [value, problem] of cases) {
      const loaded = await loadPartyConfig(
        await configFile(`data:\n  name: ImageFolder\n  info:\n    train: ./t\n    batch_size: ${value}\n`),
      );
      const place = { file: loaded.file, lineOf: loaded.lineOf, keyPrefix: ['data', 'info'] };
      const error = await failure(Promise.resolve().then(() => validateSection(ImageFolderInfoSchema, loaded.config.data.info, place)));
      expect(error.message).toBe(`${loaded.file}:5: data.info.batch_size: ${problem}`);
    }
  });

  it('keeps the whole-number limit where a key allows more than it', () => {
    const wide = z.strictObject({ n: z.number().int().max(1e300) });
    const place = { file: 'x.yaml', lineOf: () => 3 };
    expect(() => validateSection(wide, { n: 1e20 }, place)).toThrow(
      'x.yaml:3: n: 1e20 is too large: a whole number here is at most 9007199254740991',
    );
  });

  it('words numbers the same in every section: a key with no bounds, one with both, a float', async () => {
    const lines = [
      'data:',
      '  name: Idx',
      'model:',
      '  builtin: mlp',
      '  seed: -1e20',
      '  learning_rate: .inf',
      'training:',
      '  threads: 1e20',
      '',
    ];
    const file = await configFile(lines.join('\n'));
    expect((await failure(loadPartyConfig(file))).message.split('\n')).toEqual([
      `${file}:5: model.seed: -1e20 is too small: a whole number here is at least -9007199254740991`,
      `${file}:6: model.learning_rate: expected a number > 0, got infinity`,
      `${file}:8: training.threads: expected a whole number from 1 to 64, got 1e20`,
    ]);
  });

  it("names the image built-ins' keys, model.freeze and training.max_steps when they are wrong", async () => {
    const lines = ['data:', '  name: Idx', 'model:', '  builtin: resnet', '  freeze: conv1', 'training:', '  max_steps: 0', ''];
    const file = await configFile(lines.join('\n'));
    expect((await failure(loadPartyConfig(file))).message.split('\n')).toEqual([
      `${file}:5: model.freeze: expected a list, got "conv1"`,
      `${file}:7: training.max_steps: expected a whole number >= 1, got 0`,
    ]);
    const other = await configFile('data:\n  name: Idx\nmodel:\n  builtin: mnist-cnn\n  width: 16\n', 'other.yaml');
    expect((await failure(loadPartyConfig(other))).message).toBe(`${other}:5: model.width: only \`builtin: resnet\` takes \`width\``);
  });

  it('returns the parsed value with defaults', () => {
    const info = validateSection(ImageFolderInfoSchema, { train: './t' }, { file: 'x.yaml', lineOf: () => undefined });
    expect(info).toMatchObject({ train: './t', batch_size: 32, color_mode: 'rgb' });
  });
});

describe('closestMatch', () => {
  it('suggests only near misses, counting a swap as one edit', () => {
    expect(closestMatch('imge_size', ['image_size', 'train'])).toBe('image_size');
    expect(closestMatch('rbg', ['grayscale', 'rgb'])).toBe('rgb');
    expect(closestMatch('Batch_Size', ['batch_size'])).toBe('batch_size');
    expect(closestMatch('model', ['data'])).toBeUndefined();
  });
});

describe('savePartyConfig', () => {
  const original = [
    '# Site A: the lab workstation',
    'data:',
    '  name: ImageFolder # built in',
    '  info:',
    '    train: ./train   # 60k images',
    '    batch_size: 64',
    '    shuffle: true',
    '',
  ].join('\n');

  it('edits the file in place: comments and key order survive, values change, removed keys go', async () => {
    const file = await configFile(original);
    await savePartyConfig(file, { data: { name: 'ImageFolder', info: { train: './train', batch_size: 128, test: './test' } } });
    const text = await readFile(file, 'utf8');
    expect(text).toBe(
      [
        '# Site A: the lab workstation',
        'data:',
        '  name: ImageFolder # built in',
        '  info:',
        '    train: ./train # 60k images',
        '    batch_size: 128',
        '    test: ./test',
        '',
      ].join('\n'),
    );
    expect((await loadPartyConfig(file)).config.data.info).toEqual({ train: './train', batch_size: 128, test: './test' });
  });

  it('leaves no temp file behind and keeps the file mode', async () => {
    const file = await configFile(original);
    await chmod(file, 0o600);
    await savePartyConfig(file, { data: { name: 'Idx', info: { train_images: 'a', train_labels: 'b' } } });
    expect(await readdir(dir)).toEqual(['party.yaml']);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('writes a new file, and round-trips it', async () => {
    const file = path.join(dir, 'new.yaml');
    const config: PartyConfig = {
      data: { name: 'Mine', path: './handlers/mine.ts', info: { rows: [1, 2], nested: { deep: true } }, on_non_finite: 'skip' },
      model: {
        path: 'model.json',
        optimizer: 'rmsprop',
        learning_rate: 0.01,
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
        seed: 4,
      },
      training: { epochs: 2, backend: 'wasm', threads: 1 },
    };
    await savePartyConfig(file, config);
    expect((await loadPartyConfig(file)).config).toEqual(config);
    expect(await readdir(dir)).toEqual(['new.yaml']);
  });

  it('rewrites a file that does not parse rather than editing it', async () => {
    const file = await configFile('data: [unclosed\n');
    await savePartyConfig(file, { data: { name: 'Idx' } });
    expect((await loadPartyConfig(file)).config.data.name).toBe('Idx');
  });

  it('refuses to write an invalid config and leaves the file untouched', async () => {
    const file = await configFile(original);
    const error = await failure(savePartyConfig(file, { data: { name: '' } }));
    expect(error.message).toBe(`${file}: data.name: expected non-empty text, got ""`);
    expect(await readFile(file, 'utf8')).toBe(original);
    expect(await readdir(dir)).toEqual(['party.yaml']);
  });

  it('reports a save that cannot be written', async () => {
    const file = path.join(dir, 'missing-folder', 'party.yaml');
    const error = await failure(savePartyConfig(file, { data: { name: 'Idx' } }));
    expect(error.message).toBe(`${file}: cannot save the config: no such file`);
  });

  it('reads the file it edits within the same bound as any config, and leaves an oversized one as it was', async () => {
    const file = await configFile(`# ${'x'.repeat(1_000_000)}\n`);
    const error = await failure(savePartyConfig(file, { data: { name: 'Idx' } }));
    expect(error.message).toBe(`${file}: cannot read the config: it is 1000003 bytes; a config is at most 1 MB`);
    expect((await stat(file)).size).toBe(1_000_003);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
