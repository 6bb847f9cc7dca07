// Runs in the bench: times the IBM FL tutorial's own generator loop (tutorial_generator.py) as the speed reference.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter, which has python3-matplotlib and python3-numpy; a pyenv python3 earlier on PATH may not. */
const PYTHON = '/usr/bin/python3';

/** What tutorial_generator.py prints; `batches` and `single_class_batches` are totals over every epoch. */
export interface TutorialMeasurement {
  images_per_s: number[];
  epoch_seconds: number[];
  peak_rss_mb: number;
  batches: number;
  single_class_batches: number;
}

export type TutorialReference = ({ ok: true } & TutorialMeasurement) | { ok: false; note: string };

/** Run the reference over `trainDir`; an absent interpreter, library or script becomes a note the bench can print. */
export async function runTutorialReference(
  trainDir: string,
  { batch, epochs }: { batch: number; epochs: number },
): Promise<TutorialReference> {
  const script = referenceScript();
  if (!script)
    return { ok: false, note: 'bench/reference/tutorial_generator.py was not found beside the sources; the reference was skipped' };
  const missing = await missingPrerequisite();
  if (missing) return { ok: false, note: missing };
  const run = await execute([script, path.resolve(trainDir), '--batch', String(batch), '--epochs', String(epochs)]);
  if (!run.ok) return { ok: false, note: `the tutorial reference failed: ${lastLines(run.stderr || run.error)}` };
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return { ok: true, ...(JSON.parse(line) as TutorialMeasurement) };
  } catch {
    return { ok: false, note: `the tutorial reference printed no JSON line: ${lastLines(run.stdout)}` };
  }
}

/**
 * The script sits beside this module in the sources, but tsc does not copy .py files to dist/, so from
 * dist/bench/reference/ it is found by going up to the package root (the folder with package.json).
 */
function referenceScript(): string | null {
  const beside = fileURLToPath(new URL('./tutorial_generator.py', import.meta.url));
  if (existsSync(beside)) return beside;
  for (let dir = path.dirname(beside); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) {
      const script = path.join(dir, 'bench', 'reference', 'tutorial_generator.py');
      return existsSync(script) ? script : null;
    }
  }
  return null;
}

async function missingPrerequisite(): Promise<string | null> {
  if (!existsSync(PYTHON))
    return `${PYTHON} is absent (apt-get install python3 python3-numpy python3-matplotlib); the tutorial reference was skipped`;
  const probe = await execute(['-c', 'import numpy, matplotlib.image']);
  if (probe.ok) return null;
  return (
    `${PYTHON} cannot import numpy and matplotlib (apt-get install python3-numpy python3-matplotlib): ` +
    `${lastLines(probe.stderr || probe.error, 1)}; the tutorial reference was skipped`
  );
}

interface Execution {
  ok: boolean;
  stdout: string;
  stderr: string;
  error: string;
}

function execute(args: string[]): Promise<Execution> {
  return new Promise((resolve) => {
    // PYTHONPATH/PYTHONHOME from a pyenv shell would point Debian's interpreter at another Python's packages.
    const env = { ...process.env, PYTHONPATH: undefined, PYTHONHOME: undefined };
    execFile(PYTHON, args, { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ ok: !error, stdout, stderr, error: error?.message ?? '' });
    });
  });
}

function lastLines(text: string, count = 3): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}
