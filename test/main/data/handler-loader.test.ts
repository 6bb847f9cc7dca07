// Tests (Node): loading data handlers: built-ins, and site modules outside the repo in every flavour (ESM, CommonJS, TypeScript) that import `tributary`.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register as registerTsx } from 'tsx/esm/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../main/config/errors.js';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import type { LoadedConfig } from '../../../main/config/party-config.js';
import { DataGenerator, makeBatch } from '../../../main/data/data-generator.js';
import { DataHandler } from '../../../main/data/data-handler.js';
import type { DataSplits } from '../../../main/data/data-handler.js';
import { loadDataHandler, openData } from '../../../main/data/handler-loader.js';
import type { HandlerRegistry } from '../../../main/data/handler-loader.js';
import { ensureSdkBridge } from '../../../main/data/sdk-bridge.js';
import type { Batch } from '../../../main/data/types.js';

// Every test passes a registry of its own; the real built-ins (sharp, decode workers) are tested on their own.
vi.mock('../../../main/data/builtins/registry.js', () => ({ BUILTIN_HANDLERS: {} }));

// Registered before anything in this file installs the bridge, to check the bridge also works when tsx's hooks
// come first in registration order (as when the host itself runs under tsx).
const earlyTsx = registerTsx({ namespace: 'registered-before-the-bridge', tsconfig: false });

/** Five rows of two pixels, row i = [i, 10 i], class i % 2; JS shared by the JS flavours. */
const TINY_GENERATOR_JS = `
class TinyGenerator extends DataGenerator {
  constructor(batchSize) {
    super({ batchSize, shuffle: false });
    this.sampleCount = 5;
    this.classNames = ['even', 'odd'];
    this.sampleShape = { height: 1, width: 2, channels: 1 };
  }
  async loadSamples(indices) {
    const x = new Float32Array(indices.length * 2);
    indices.forEach((i, row) => { x[row * 2] = i; x[row * 2 + 1] = 10 * i; });
    return makeBatch({ x, shape: this.sampleShape, indices, labels: Int32Array.from(indices, (i) => i % 2), numClasses: 2 });
  }
  describeSample(index) { return 'row ' + index; }
}
class Tiny extends DataHandler {
  getData() { return { train: new TinyGenerator(this.info.batch_size ?? 2) }; }
}
`;

const ESM_IMPORT = "import { DataHandler, DataGenerator, makeBatch } from 'tributary';";
const CJS_REQUIRE = "const { DataHandler, DataGenerator, makeBatch } = require('tributary');";

const TINY_TS = `
import { DataGenerator, DataHandler, makeBatch } from 'tributary';
import type { Batch, DataSplits, SampleShape } from 'tributary';

interface TinyOptions {
  rows: number;
  batchSize: number;
}

class TinyGenerator extends DataGenerator {
  readonly classNames: readonly string[] = ['even', 'odd'];
  readonly sampleShape: SampleShape = { height: 1, width: 2, channels: 1 };
  readonly sampleCount: number;

  constructor(options: TinyOptions) {
    super({ batchSize: options.batchSize, shuffle: false });
    this.sampleCount = options.rows;
  }

  protected async loadSamples(indices: Uint32Array): Promise<Batch> {
    const x = new Float32Array(indices.length * 2);
    indices.forEach((i: number, row: number) => {
      x[row * 2] = i;
      x[row * 2 + 1] = 10 * i;
    });
    return makeBatch({ x, shape: this.sampleShape, indices, labels: Int32Array.from(indices, (i) => i % 2), numClasses: 2 });
  }

  describeSample(index: number): string {
    return \`row \${index}\`;
  }
}

export class Tiny extends DataHandler {
  getData(): DataSplits {
    const batchSize = Number(this.info.batch_size ?? 2);
    return { train: new TinyGenerator({ rows: 5, batchSize }) };
  }
}
`;

let root: string;
let site: string;
let configs = 0;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'tributary-handlers-'));
  site = path.join(root, 'site');
  await writeFiles({
    'site/.keep': '',
    'handlers/tiny.mjs': `${ESM_IMPORT}\n${TINY_GENERATOR_JS}\nexport { Tiny };\n`,
    'handlers/tiny.cjs': `${CJS_REQUIRE}\n${TINY_GENERATOR_JS}\nmodule.exports = { Tiny };\n`,
    'handlers/cjs-scope/package.json': '{ "type": "commonjs" }',
    'handlers/cjs-scope/tiny.js': `${CJS_REQUIRE}\n${TINY_GENERATOR_JS}\nexports.Tiny = Tiny;\n`,
    'handlers/cjs-scope/default-export.js': `${CJS_REQUIRE}\n${TINY_GENERATOR_JS}\nmodule.exports = Tiny;\n`,
    'handlers/esm-scope/package.json': '{ "type": "module" }',
    'handlers/esm-scope/tiny.js': `${ESM_IMPORT}\n${TINY_GENERATOR_JS}\nexport { Tiny };\n`,
    'handlers/esm-scope/tiny.ts': TINY_TS,
    'handlers/tiny.ts': TINY_TS,
    'handlers/tiny.mts': TINY_TS,
    'handlers/reexport.mjs': "export * from 'tributary';\nexport { default } from 'tributary';\n",
    'handlers/with-tsconfig/package.json': '{ "type": "module" }',
    'handlers/with-tsconfig/tsconfig.json': '{ "compilerOptions": { "baseUrl": ".", "paths": { "@gen/*": ["./lib/*"] } } }',
    'handlers/with-tsconfig/lib/rows.ts': 'export const ROWS: number = 5;\n',
    'handlers/with-tsconfig/tiny.ts': TINY_TS.replace('rows: 5', 'rows: ROWS').replace(
      "from 'tributary';",
      "from 'tributary';\nimport { ROWS } from '@gen/rows';",
    ),
  });
});

afterAll(async () => {
  await earlyTsx.unregister();
  await rm(root, { recursive: true, force: true });
});

async function writeFiles(files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

/** A config in `site/` (each in a file of its own), so `path`s are relative to it and the handlers live elsewhere. */
async function siteConfig(yaml: string): Promise<LoadedConfig> {
  const file = path.join(site, `party-${++configs}.yaml`);
  await writeFile(file, yaml);
  return loadPartyConfig(file);
}

function customData(modulePath: string, name = 'Tiny', info = '    batch_size: 2'): string {
  return `# a site's own handler\ndata:\n  name: ${name}\n  path: ${modulePath}\n  info:\n${info}\n`;
}

async function failure(run: Promise<unknown>): Promise<ConfigError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

async function expectTinyBatch(splits: DataSplits): Promise<void> {
  const train = splits.train!;
  expect(train).toBeInstanceOf(DataGenerator);
  expect(train.length).toBe(3);
  const batch = await train.getBatch(1);
  expect(batch.shape).toEqual([2, 1, 2, 1]);
  expect([...batch.x]).toEqual([2, 20, 3, 30]);
  expect([...batch.labels]).toEqual([0, 1]);
  expect([...batch.oneHot]).toEqual([1, 0, 0, 1]);
}

describe('custom handler modules, outside the repo, importing `tributary`', () => {
  it.each([
    ['ESM .mjs', '../handlers/tiny.mjs'],
    ['CommonJS .cjs', '../handlers/tiny.cjs'],
    ['CommonJS .js in a "type": "commonjs" folder', '../handlers/cjs-scope/tiny.js'],
    ['ESM .js in a "type": "module" folder', '../handlers/esm-scope/tiny.js'],
    ['TypeScript .ts (CommonJS scope)', '../handlers/tiny.ts'],
    ['TypeScript .ts in a "type": "module" folder', '../handlers/esm-scope/tiny.ts'],
    ['TypeScript .mts', '../handlers/tiny.mts'],
    ['TypeScript (ESM) under its own tsconfig.json (paths)', '../handlers/with-tsconfig/tiny.ts'],
    ['CommonJS whose module.exports is the class itself', '../handlers/cjs-scope/default-export.js'],
  ])('%s', async (_flavour, modulePath) => {
    const loaded = await siteConfig(customData(modulePath));
    const { handler, splits } = await openData(loaded, {});
    expect(handler).toBeInstanceOf(DataHandler);
    expect(handler.constructor.name).toBe('Tiny');
    expect(handler.info).toEqual({ batch_size: 2 });
    expect(handler.context).toEqual({ configFile: loaded.file, baseDir: site });
    await expectTinyBatch(splits);
  });

  it('works when tsx hooks were registered before the bridge', async () => {
    ensureSdkBridge();
    for (const file of ['handlers/tiny.mts', 'handlers/esm-scope/tiny.ts', 'handlers/tiny.ts']) {
      const { Tiny } = (await earlyTsx.import(pathToFileURL(path.join(root, file)).href, import.meta.url)) as {
        Tiny: new (info: object) => DataHandler;
      };
      expect(new Tiny({})).toBeInstanceOf(DataHandler);
    }
  });

  it('installs the bridge once: import and require hand out the one SDK object', async () => {
    ensureSdkBridge();
    ensureSdkBridge();
    const required = createRequire(path.join(root, 'handlers', 'x.cjs'))('tributary') as Record<string, unknown>;
    const imported = (await earlyTsx.import(pathToFileURL(path.join(root, 'handlers', 'reexport.mjs')).href, import.meta.url)) as Record<
      string,
      unknown
    >;
    expect(required.DataHandler).toBe(DataHandler);
    expect(required.makeBatch).toBe(makeBatch);
    expect(imported.DataHandler).toBe(DataHandler);
    expect(imported.default).toBe(required);
  });

  it('evaluates an edited handler afresh on the next load', async () => {
    await writeFiles({ 'handlers/edited.mjs': `${ESM_IMPORT}\nexport class Edited extends DataHandler { getData() { return 'v1'; } }\n` });
    const loaded = await siteConfig(customData('../handlers/edited.mjs', 'Edited'));
    expect((await loadDataHandler(loaded, {})).getData()).toBe('v1');
    await writeFiles({ 'handlers/edited.mjs': `${ESM_IMPORT}\nexport class Edited extends DataHandler { getData() { return 'v2'; } }\n` });
    expect((await loadDataHandler(loaded, {})).getData()).toBe('v2');
  });
});

describe('custom handler failures name the file, key, line and module', () => {
  async function customFailure(files: Record<string, string>, modulePath: string, name = 'Tiny', info?: string) {
    await writeFiles(files);
    const loaded = await siteConfig(customData(modulePath, name, info));
    const error = await failure(openData(loaded, {}));
    return { error, file: loaded.file, module: path.resolve(site, modulePath) };
  }

  it('module file missing', async () => {
    const { error, file, module } = await customFailure({}, '../handlers/absent.mjs');
    expect(error).toMatchObject({ file, key: 'data.path', line: 4, module });
    expect(error.message).toBe(`${file}:4: data.path: no handler module at ${module} (\`path\` is relative to ${site})`);
  });

  it('module throws on import', async () => {
    const { error, file, module } = await customFailure(
      { 'handlers/throws.mjs': "throw new Error('cannot reach the scanner');\n" },
      '../handlers/throws.mjs',
    );
    expect(error).toMatchObject({ key: 'data.path', line: 4, module });
    expect(error.message).toBe(`${file}:4: data.path: ${module} failed to load: cannot reach the scanner`);
    expect((error.cause as Error).message).toBe('cannot reach the scanner');
  });

  it('TypeScript that does not compile', async () => {
    const { error, file, module } = await customFailure(
      { 'handlers/broken.ts': 'export class Tiny {\n  getData( {\n}\n' },
      '../handlers/broken.ts',
    );
    expect(error.message).toMatch(new RegExp(`^${escape(`${file}:4: data.path: ${module} failed to load: `)}.*broken\\.ts:\\d+:\\d+`));
    expect(error.message).not.toContain('\n');
  });

  it('export missing: lists what the module does export', async () => {
    const { error, file, module } = await customFailure(
      { 'handlers/others.mjs': `${ESM_IMPORT}\nexport class TinyHandlr extends DataHandler {}\nexport const helper = 1;\n` },
      '../handlers/others.mjs',
      'TinyHandler',
    );
    expect(error).toMatchObject({ key: 'data.name', line: 3, module });
    expect(error.message).toBe(
      `${file}:3: data.name: ${module} has no export "TinyHandler" (did you mean "TinyHandlr"?) (it exports TinyHandlr, helper)`,
    );
  });

  it('export is not a DataHandler subclass', async () => {
    const { error, file, module } = await customFailure(
      { 'handlers/plain.cjs': 'class Tiny { getData() { return {}; } }\nmodule.exports = { Tiny, Count: 3 };\n' },
      '../handlers/plain.cjs',
    );
    expect(error.message).toBe(
      `${file}:3: data.name: export "Tiny" of ${module} is class Tiny, not a DataHandler subclass: extend the DataHandler that 'tributary' exports`,
    );
    const count = await failure(openData(await siteConfig(customData('../handlers/plain.cjs', 'Count')), {}));
    expect(count.message).toContain('export "Count" of ' + module + ' is a number (3), not a DataHandler subclass');
  });

  it('constructor throws', async () => {
    const { error, file, module } = await customFailure(
      {
        'handlers/ctor.mjs':
          `${ESM_IMPORT}\nexport class Tiny extends DataHandler { ` +
          "constructor(info, context) { super(info, context); throw new Error('the scanner is offline'); } }\n",
      },
      '../handlers/ctor.mjs',
    );
    expect(error).toMatchObject({ key: 'data.name', line: 3, module });
    expect(error.message).toBe(`${file}:3: data.name: Tiny (${module}) failed in its constructor: the scanner is offline`);
  });

  it('a thrown message that names its key is placed on that key', async () => {
    const { error, file, module } = await customFailure(
      {
        'handlers/keyed.mjs':
          `${ESM_IMPORT}\nexport class Tiny extends DataHandler { ` +
          "getData() { throw new Error('data.info.training_set: no such folder /data/x'); } }\n",
      },
      '../handlers/keyed.mjs',
      'Tiny',
      '    batch_size: 2\n    training_set: /data/x',
    );
    expect(error).toMatchObject({ key: 'data.info.training_set', line: 7, module });
    expect(error.message).toBe(`${file}:7: data.info.training_set: Tiny (${module}) failed in getData(): no such folder /data/x`);
  });

  it('getData() throws', async () => {
    const { error, file, module } = await customFailure(
      {
        'handlers/get-throws.cjs':
          `${CJS_REQUIRE}\nexports.Tiny = class Tiny extends DataHandler { ` +
          "async getData() { throw new Error('disk unplugged'); } };\n",
      },
      '../handlers/get-throws.cjs',
    );
    expect(error.message).toBe(`${file}:3: data.name: Tiny (${module}) failed in getData(): disk unplugged`);
  });

  it.each([
    ['nothing', 'return null;', 'returned nothing; it must return an object { train, test }'],
    [
      'a list, as IBM FL returned a tuple',
      'return [new TinyGenerator(2), null];',
      'returned a list; return an object { train, test } (either may be left out)',
    ],
    ['neither split', 'return { validation: new TinyGenerator(2) };', 'returned neither a `train` nor a `test` generator'],
    [
      'a split that is not a DataGenerator',
      'return { train: new TinyGenerator(2), test: { getBatch() {} } };',
      "returned a `test` that is an object (Object), not a DataGenerator: extend the DataGenerator that 'tributary' exports",
    ],
  ])('getData() returns %s', async (_case, body, problem) => {
    const handler = `${ESM_IMPORT}\n${TINY_GENERATOR_JS}\nexport class Shape extends DataHandler { getData() { ${body} } }\n`;
    const { error, file, module } = await customFailure({ 'handlers/shape.mjs': handler }, '../handlers/shape.mjs', 'Shape');
    expect(error).toMatchObject({ key: 'data.name', line: 3, module });
    expect(error.message).toBe(`${file}:3: data.name: Shape (${module}): getData() ${problem}`);
  });

  it('closes the generators of a rejected getData() result', async () => {
    const closing = `${ESM_IMPORT}\n${TINY_GENERATOR_JS}
      class Closing extends TinyGenerator { async close() { globalThis.tributaryTestClosed = true; } }
      export class Shape extends DataHandler { getData() { return { train: new Closing(2), test: 42 }; } }\n`;
    await customFailure({ 'handlers/closing.mjs': closing }, '../handlers/closing.mjs', 'Shape');
    expect((globalThis as { tributaryTestClosed?: boolean }).tributaryTestClosed).toBe(true);
  });
});

describe('built-in handlers', () => {
  class MemoryGenerator extends DataGenerator {
    readonly sampleCount = 4;
    readonly classNames = ['a', 'b'];
    readonly sampleShape = { height: 1, width: 1, channels: 1 };
    describeSample(index: number): string {
      return `sample ${index}`;
    }
    protected async loadSamples(indices: Uint32Array): Promise<Batch> {
      return makeBatch({
        x: Float32Array.from(indices),
        shape: this.sampleShape,
        indices,
        labels: Int32Array.from(indices, (i) => i % 2),
        numClasses: 2,
      });
    }
  }
  class FakeImageFolder extends DataHandler {
    getData(): DataSplits {
      if (this.info.train === './gone') throw new Error('data.info.train: no such folder ./gone');
      return { train: new MemoryGenerator({ batchSize: Number(this.info.batch_size) }) };
    }
  }
  const registry: HandlerRegistry = { ImageFolder: FakeImageFolder };

  it('constructs a built-in with its validated info (defaults filled) and the config context', async () => {
    const loaded = await siteConfig('data:\n  name: ImageFolder\n  info:\n    train: ./train\n    batch_size: 3\n');
    const { handler, splits } = await openData(loaded, registry);
    expect(handler).toBeInstanceOf(FakeImageFolder);
    expect(handler.info).toMatchObject({ train: './train', batch_size: 3, shuffle: true, color_mode: 'rgb' });
    expect(handler.context).toEqual({ configFile: loaded.file, baseDir: site });
    expect(splits.train!.length).toBe(2);
    expect(splits.test).toBeUndefined();
  });

  it('reports every info issue on its line under data.info', async () => {
    const loaded = await siteConfig(
      'data:\n  name: ImageFolder\n  info:\n    train: ./train\n    batch_size: 64x\n    imge_size: [28, 28]\n',
    );
    const error = await failure(loadDataHandler(loaded, registry));
    expect(error.message.split('\n')).toEqual([
      `${loaded.file}:5: data.info.batch_size: expected a whole number >= 1, got "64x"`,
      `${loaded.file}:6: data.info: unknown key "imge_size" (did you mean "image_size"?)`,
    ]);
  });

  it('places a keyed error from a built-in on its key', async () => {
    const loaded = await siteConfig('data:\n  name: ImageFolder\n  info:\n    train: ./gone\n');
    const error = await failure(openData(loaded, registry));
    expect(error.message).toBe(
      `${loaded.file}:4: data.info.train: built-in handler ImageFolder failed in getData(): no such folder ./gone`,
    );
    expect(error.module).toBeUndefined();
  });

  it('suggests a built-in for a misspelt name without a path', async () => {
    const loaded = await siteConfig('data:\n  name: ImageFoldr\n');
    const error = await failure(loadDataHandler(loaded, registry));
    expect(error.message).toBe(
      `${loaded.file}:2: data.name: no built-in handler is named "ImageFoldr" (did you mean "ImageFolder"?); ` +
        'the built-ins are ImageFolder, and a handler of your own needs `path` (its module, relative to this file)',
    );
  });

  it('a path shadows a built-in of the same name', async () => {
    await writeFiles({ 'handlers/shadow.mjs': `${ESM_IMPORT}\n${TINY_GENERATOR_JS}\nexport class ImageFolder extends Tiny {}\n` });
    const loaded = await siteConfig(customData('../handlers/shadow.mjs', 'ImageFolder', '    anything: goes'));
    const { handler, splits } = await openData(loaded, registry);
    expect(handler).not.toBeInstanceOf(FakeImageFolder);
    expect(handler.info).toEqual({ anything: 'goes' });
    await expectTinyBatch(splits);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
