// Runs in bench scripts (Node): the machine note, the closing JSON line, and the bench's section of docs/benchmarks.md.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  ...(import.meta.url.includes('/dist/') ? ['..'] : []),
);

export interface Machine {
  cpu: string;
  cores: number;
  memory_gib: number;
  node: string;
  platform: string;
  date: string;
}

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString().slice(0, 10),
  };
}

export function machineNote(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, Node ${m.node}, ${m.platform}, measured ${m.date}`;
}

export interface BenchResult {
  bench: string;
  metrics: Record<string, unknown>;
  ratios: Record<string, number | null>;
  machine: Machine;
}

/** Replace (or append) the bench's section of docs/benchmarks.md, between its markers. */
export async function recordInDocs(result: BenchResult, markdown: string): Promise<string> {
  const file = path.join(repoRoot, 'docs', 'benchmarks.md');
  const start = `<!-- bench:${result.bench}:start -->`;
  const end = `<!-- bench:${result.bench}:end -->`;
  const section = `${start}\n${markdown.trim()}\n\nMachine: ${machineNote(result.machine)}.\n\n\`\`\`json\n${JSON.stringify(result)}\n\`\`\`\n${end}`;
  const current = await fsp
    .readFile(file, 'utf8')
    .catch(
      () =>
        '# Benchmarks\n\nEach section is written by its bench script (`npm run bench:<name>`); ratios are measured against the reference in the same run.\n',
    );
  const at = current.indexOf(start);
  const next =
    at >= 0 ? current.slice(0, at) + section + current.slice(current.indexOf(end) + end.length) : `${current.trimEnd()}\n\n${section}\n`;
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, next);
  return file;
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
