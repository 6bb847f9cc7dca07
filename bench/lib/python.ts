// Runs in bench scripts (Node): runs a Python process of the references and reads the one JSON line it prints last.
import { execFile } from 'node:child_process';

export interface Execution {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** Why it failed: the exit, a timeout, a missing interpreter. */
  error: string;
}

export function execute(command: string, args: string[], timeoutMs: number): Promise<Execution> {
  return new Promise((resolve) => {
    // PYTHONPATH/PYTHONHOME from a pyenv shell would point the venv's interpreter at another Python's packages;
    // TensorFlow's INFO lines (CPU features, oneDNN) are noise in the bench's output.
    const env = { ...process.env, PYTHONPATH: undefined, PYTHONHOME: undefined, TF_CPP_MIN_LOG_LEVEL: '2' };
    execFile(command, args, { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const why = error?.killed ? `killed after ${Math.round(timeoutMs / 1000)} s without finishing` : (error?.message ?? '');
      resolve({ ok: !error, stdout, stderr, error: why });
    });
  });
}

export type JsonRun<T> = { ok: true; value: T } | { ok: false; note: string };

/** The last stdout line parsed as JSON; a failed run or another last line becomes a note with the stderr's tail. */
export async function runJson<T>(command: string, args: string[], timeoutMs: number): Promise<JsonRun<T>> {
  const run = await execute(command, args, timeoutMs);
  if (!run.ok) return { ok: false, note: `${run.error.split('\n')[0]}: ${lastLines(run.stderr)}` };
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return { ok: true, value: JSON.parse(line) as T };
  } catch {
    return { ok: false, note: `printed no JSON line: ${lastLines(run.stdout || run.stderr)}` };
  }
}

export function lastLines(text: string, count = 2): string {
  return text.trim().split('\n').slice(-count).join(' | ');
}
