// Tests (Node, the real README and package.json): the README's first screen shows the product, and every npm command it shows
// names a real script, command and flags.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureConsole } from './console-capture.js';
import { main } from '../../../main/cli/index.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const SCRIPTS = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
);
/** A terminal's first screen. */
const FIRST_SCREEN = README.split('\n').slice(0, 50).join('\n');

/** Every npm command the README shows, in a code block or inline, without its trailing comment. */
function npmCommands(): string[] {
  const inBlocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) => block[1]!.split('\n'));
  const inline = [...README.matchAll(/`(npm [^`]+)`/g)].map((span) => span[1]!);
  return [...inBlocks, ...inline].map((line) => line.replace(/#.*/, '').trim()).filter((line) => line.startsWith('npm '));
}

const { spies, printed } = captureConsole();

describe('README', () => {
  it('keeps the two commands exactly', () => {
    expect(README).toContain('```sh\nnpm ci && npm run tributary -- scan --config examples/image-folder/party.yaml\n```');
    expect(README).toContain('Run the tests:\n\n```sh\nnpm test\n```');
  });

  it('says on its first screen what the demo, the desktop app and the console are, and how to run each', () => {
    expect(FIRST_SCREEN).toMatch(/\*\*The demo\*\*, `npm run demo`: a whole federation on this machine/);
    expect(FIRST_SCREEN).toMatch(/\*\*The desktop app\*\*, `npm start`: /);
    expect(FIRST_SCREEN).toMatch(
      /\*\*The console\*\*, `npm run tributary -- console --config examples\/image-folder\/party\.yaml`: the same app in a\s+browser/,
    );
    expect(README).not.toMatch(/come later/);
  });

  it('shows only npm scripts that exist, tributary commands that exist, and flags those commands take', async () => {
    const commands = npmCommands();
    expect(commands.length).toBeGreaterThan(10);
    for (const command of commands) {
      for (const [, script] of command.matchAll(/npm run ([\w:-]+)/g)) expect(SCRIPTS, command).toContain(script);
      // `npm run tributary -- CMD` and `npm run demo` (tributary demo): the command's own --help lists every flag shown.
      const cli = /npm run (?:tributary -- (\w+)|(demo))\b(.*)/.exec(command);
      if (!cli) continue;
      const [name, flags] = [cli[1] ?? cli[2]!, cli[3]!.match(/(?<![\w-])--?[a-z][\w-]*/g) ?? []];
      spies.log.mockClear();
      expect(await main([name, '--help']), command).toBe(0);
      for (const flag of flags.filter((f) => f !== '--help'))
        expect(printed(), `${command}: ${flag}`).toMatch(new RegExp(`(^|[\\s[])${flag}\\b`));
    }
  });
});
