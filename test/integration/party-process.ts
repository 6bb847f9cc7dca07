// Test helper (plain Node): `tributary party --config party.yaml` in a child process, run from source with tsx, its output read line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const CLI = path.resolve(import.meta.dirname, 'fixtures', 'tributary-cli.ts');

export class PartyProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  /** `env`: the child's whole environment (default: this process's). */
  constructor(configFile: string, env?: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', CLI, 'party', '--config', configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    for (const stream of [this.child.stdout!, this.child.stderr!])
      createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** The first captured group of the first line that matches, once one does. */
  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.lines.map((line) => pattern.exec(line)).find(Boolean);
      if (match) return match[1] ?? match[0];
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} in the party's output:\n${this.lines.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}
