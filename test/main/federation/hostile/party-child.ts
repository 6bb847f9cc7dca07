// Test helper (plain Node): `tributary party` in a process of its own, on the shipped sample with an MLP, its memory read from /proc/<pid>/status.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readAuditLog, type AuditEntry } from '../../../../main/federation/client/audit-log.js';

const ROOT = path.resolve(import.meta.dirname, '../../../..');
const CLI = path.join(ROOT, 'test/integration/fixtures/tributary-cli.ts');
const SAMPLE = path.join(ROOT, 'assets/fashion-mnist-sample');

/** A party.yaml for the sample: one decode thread, wasm on one thread, one local epoch at most (a round that asks for more is clamped). */
function partyYaml(server: string, transport: 'grpc' | 'rest'): string {
  return `data:
  name: ImageFolder
  info:
    train: ${JSON.stringify(path.join(SAMPLE, 'train'))}
    test: ${JSON.stringify(path.join(SAMPLE, 'test'))}
    class_names: [0-tshirt-top, 1-trouser, 2-pullover, 3-dress, 4-coat, 5-sandal, 6-shirt, 7-sneaker, 8-bag, 9-ankle-boot]
    image_size: [28, 28]
    color_mode: grayscale
    batch_size: 64
    workers: 1
model:
  builtin: mlp
  learning_rate: 0.01
training:
  backend: wasm
  threads: 1
federation:
  server: ${JSON.stringify(server)}
  transport: ${transport}
  insecure: true
  poll_interval: 0.05
  heartbeat_interval: 10
  bounds:
    epochs: { max: 1 }
`;
}

export class PartyChild {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => this.lines.push(line));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(server: string, transport: 'grpc' | 'rest'): Promise<PartyChild> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-hostile-'));
    const configFile = path.join(dir, 'party.yaml');
    await writeFile(configFile, partyYaml(server, transport));
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'party', '--config', configFile], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new PartyChild(dir, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The audit log's lines, oldest first. */
  audit(): Promise<AuditEntry[]> {
    return readAuditLog(path.join(this.dir, 'federation-audit.jsonl'));
  }

  /** The audit log once a line holds `what`: lines are written just after the replies and events they go with. */
  async auditOnce(holds: (entry: AuditEntry) => boolean, what: string, timeoutMs = 20_000): Promise<AuditEntry[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = await this.audit();
      if (lines.some(holds)) return lines;
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for an audit line: ${what}\n${this.lines.slice(-20).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The most memory the process has held since it started, or since resetPeak(): VmHWM, in bytes. */
  peakRss(): number {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1];
    if (kib === undefined) throw new Error(`no VmHWM in /proc/${this.pid}/status`);
    return Number(kib) * 1024;
  }

  /** Starts the peak over from the memory held now (Linux's clear_refs 5). */
  resetPeak(): void {
    writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
  }

  /** Ctrl-C: the party leaves, then exits. */
  async stop(): Promise<number | null> {
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
