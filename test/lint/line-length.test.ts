// Tests (Node, the project's own ESLint config): no line over 160 characters, be it code, a comment, a string or a template,
// in every kind of file linted; only a URL or a regular-expression literal may run longer.
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const LIMIT = 160;

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The numbers of the lines of `text` that max-len flagged, linted as if it were `file`. */
async function tooLong(file: string, lines: string[]): Promise<number[]> {
  const [result] = await eslint.lintText(`${lines.join('\n')}\n`, { filePath: path.join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'max-len').map((m) => m.line);
}

/** `before` + x... + `after`, exactly `length` characters long. */
const line = (before: string, after: string, length: number) => before + 'x'.repeat(length - before.length - after.length) + after;

/** Each kind of line at the limit, then one character over it: the odd lines pass, the even ones are flagged. */
const atAndOver = (kinds: [string, string][]) =>
  kinds.flatMap(([before, after]) => [line(before, after, LIMIT), line(before, after, LIMIT + 1)]);
const evenLines = (count: number) => Array.from({ length: count / 2 }, (_, i) => 2 * (i + 1));

describe('line length', () => {
  it('flags code, comments, strings and templates over 160 characters in TypeScript and JavaScript files', async () => {
    const kinds: [string, string][] = [
      ['export const ', ' = 1;'],
      ['// ', ''],
      ['/** ', ' */'],
      ["export const s1 = '", "';"],
      ['export const t1 = `', '`;'],
    ];
    for (const file of ['main/cli/x.ts', 'test/main/x.test.ts', 'bench/x.ts', 'examples/x.mjs', 'bin/x.js', 'x.cjs']) {
      expect([file, await tooLong(file, atAndOver(kinds))]).toEqual([file, evenLines(kinds.length * 2)]);
    }
  });

  it('flags markup, script and comments over 160 characters in Svelte components', async () => {
    const lines = [
      ...atAndOver([['<!-- ', ' -->']]),
      '<script lang="ts">',
      ...atAndOver([["  const s = '", "';"]]),
      '</script>',
      ...atAndOver([['<p>', '</p>']]),
    ];
    expect(await tooLong('renderer/lib/X.svelte', lines)).toEqual([2, 5, 8]);
  });

  it('lets a URL or a regular-expression literal run long, since neither can be split', async () => {
    const lines = [line('// as https://example.org/', '', 200), line('export const r = /', '/;', 200)];
    expect(await tooLong('main/cli/x.ts', lines)).toEqual([]);
  });
});
