// Tests (Node, the project's own ESLint config): the layers of main/ import downward only, whatever form the import takes.
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ORDER = ['config', 'data', 'engine', 'federation', 'services'];
const ENTRIES = ['app', 'console', 'cli'];
const LAYER_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The layers a file at `file` was refused, one import of each layer in `layers`. */
async function refused(file: string, layers: string[], importOf: (layer: string, i: number) => string): Promise<string[]> {
  const up = '../'.repeat(file.split('/').length - 2);
  const text = `${layers.map((layer, i) => importOf(`${up}${layer}/m${i}.js`, i)).join('\n')}\n`;
  const [result] = await eslint.lintText(text, { filePath: path.join(ROOT, file) });
  const flagged = result!.messages.filter((m) => LAYER_RULES.has(m.ruleId ?? '')).map((m) => layers[m.line - 1]!);
  return flagged;
}

const staticImport = (from: string, i: number) => `import { a${i} } from '${from}'; export { a${i} };`;

describe('layer rules', () => {
  it('refuses every import of a higher layer and allows every lower one, from each layer of main/', async () => {
    const everyLayer = [...ORDER, ...ENTRIES];
    for (const [i, layer] of ORDER.entries()) {
      const above = everyLayer.filter((other) => everyLayer.indexOf(other) > i);
      expect([layer, await refused(`main/${layer}/x.ts`, everyLayer, staticImport)]).toEqual([layer, above]);
    }
    // The entry points take the services and below; not each other, except the CLI's `console` command.
    expect(await refused('main/app/x.ts', everyLayer, staticImport)).toEqual(['console', 'cli']);
    expect(await refused('main/console/x.ts', everyLayer, staticImport)).toEqual(['app', 'cli']);
    expect(await refused('main/cli/x.ts', everyLayer, staticImport)).toEqual(['app']);
  });

  it('names the layer and what it may import', async () => {
    const [result] = await eslint.lintText("import { x } from '../services/dispatch.js';\nexport { x };\n", {
      filePath: path.join(ROOT, 'main/data/x.ts'),
    });
    const expected = 'main/data/ may import only common/, main/config/: layers import downward.';
    expect(result!.messages.map((m) => m.message)).toEqual([expect.stringContaining(expected)]);
  });

  it('catches re-exports, dynamic imports and type imports, from any depth', async () => {
    const file = 'main/data/sources/deep/x.ts';
    expect(await refused(file, ['federation', 'config'], (from, i) => `export * from '${from}'; // ${i}`)).toEqual(['federation']);
    expect(await refused(file, ['services', 'config'], (from, i) => `export const m${i} = await import('${from}');`)).toEqual(['services']);
    expect(await refused(file, ['engine', 'config'], (from, i) => `export type T${i} = typeof import('${from}');`)).toEqual(['engine']);
    expect(await refused(file, ['cli', 'config'], (from, i) => `import type { T${i} } from '${from}'; export type { T${i} };`)).toEqual([
      'cli',
    ]);
  });
});
