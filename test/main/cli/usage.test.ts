// Tests (Node, in-process): `tributary`'s usage: each command's own --help, the whole usage, and an unknown command named as such.
import { describe, expect, it } from 'vitest';
import { captureConsole } from './console-capture.js';
import { main } from '../../../main/cli/index.js';

const COMMANDS = ['init', 'scan', 'preview', 'train', 'party', 'aggregator', 'demo', 'console'];
const { spies, printed, complained } = captureConsole();

describe('tributary <command> --help', () => {
  it.each(COMMANDS)('%s --help and -h print its own usage and exit 0, before reading any flag or config', async (command) => {
    for (const argv of [
      [command, '--help'],
      [command, '-h'],
      [command, '--config', 'nowhere.yaml', '--bogus', '--help'],
      ['help', command],
    ]) {
      spies.log.mockClear();
      expect(await main(argv), argv.join(' ')).toBe(0);
      const usage = printed();
      expect(usage).toMatch(new RegExp(`^usage:\\n {2}tributary ${command} `));
      for (const other of COMMANDS.filter((name) => name !== command)) expect(usage).not.toContain(`tributary ${other} `);
    }
    expect(complained()).toBe('');
  });
});

describe('tributary with no command, help, or an unknown one', () => {
  it("prints every command's usage for --help, -h, help and nothing, exit 0", async () => {
    for (const argv of [['--help'], ['-h'], ['help'], []]) {
      spies.log.mockClear();
      expect(await main(argv)).toBe(0);
      for (const command of COMMANDS) expect(printed()).toContain(`\n  tributary ${command} `);
      expect(printed()).toContain('tributary <command> --help');
    }
  });

  it('says the command is unknown, suggests the one meant, and prints the usage on stderr, exit 2', async () => {
    expect(await main(['sacn', '--config', 'party.yaml'])).toBe(2);
    expect(complained()).toMatch(/^tributary: unknown command "sacn" \(did you mean "scan"\?\)\nusage:\n {2}tributary scan /);
    spies.error.mockClear();
    expect(await main(['frobnicate'])).toBe(2);
    expect(complained().split('\n')[0]).toBe('tributary: unknown command "frobnicate"');
    spies.error.mockClear();
    expect(await main(['help', 'agregator'])).toBe(2);
    expect(complained().split('\n')[0]).toBe('tributary: unknown command "agregator" (did you mean "aggregator"?)');
    expect(printed()).toBe('');
  });
});
