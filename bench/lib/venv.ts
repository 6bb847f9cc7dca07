// Runs in bench scripts (Node): builds or reuses the Python venv of the train references (.bench/venv, ignored by git).
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { execute, lastLines } from './python.js';
import { repoRoot } from './report.js';

/** What the references import: Keras 3 on TensorFlow 2.21 (CPU), PyTorch (the CPU wheel), and matplotlib for the tutorial's imread. */
export const REQUIREMENTS = ['tensorflow-cpu==2.21.0', 'keras==3.15.*', 'torch==2.13.*', 'matplotlib'];
/** The imports that prove the venv is complete; checked every run, so a half-built venv is finished, not trusted. */
const PROBE = 'import tensorflow, keras, torch, matplotlib, numpy; print(keras.__version__, tensorflow.__version__, torch.__version__)';

export const VENV_DIR = path.join(repoRoot, '.bench', 'venv');
/** Written once the venv imports every requirement, holding the versions: what tests look for before using the venv. */
export const VENV_READY = path.join(VENV_DIR, 'tributary-ready.txt');
const PIP_LOG = path.join(repoRoot, '.bench', 'pip.log');

export interface Venv {
  python: string;
  /** "keras 3.15.1, tensorflow 2.21.0, torch 2.13.0+cpu" */
  versions: string;
}

export type VenvResult = ({ ok: true } & Venv) | { ok: false; note: string };

/**
 * The venv's python once it imports every requirement: made with `python3 -m venv` (TRIBUTARY_BENCH_PYTHON names another
 * interpreter) and filled with pip, whose output goes to .bench/pip.log. pip installs from wherever the machine's pip
 * config points (a local store here). A failure is a note naming the log, not an exception: the tfjs rows still run.
 */
export async function ensureVenv(log: (line: string) => void): Promise<VenvResult> {
  const python = path.join(VENV_DIR, 'bin', 'python');
  const ready = existsSync(python) ? await probe(python) : null;
  if (ready) return { ok: true, python, versions: ready };
  await fsp.rm(VENV_READY, { force: true });
  const base = process.env.TRIBUTARY_BENCH_PYTHON || 'python3';
  if (!existsSync(python)) {
    log(`creating the reference venv ${path.relative(repoRoot, VENV_DIR)} with ${base} -m venv...`);
    const made = await run(base, ['-m', 'venv', VENV_DIR], 5 * 60_000);
    if (!made.ok)
      return {
        ok: false,
        note: `${base} -m venv ${VENV_DIR} failed (set TRIBUTARY_BENCH_PYTHON to a Python 3.11): ${lastLines(made.output, 1)}`,
      };
  }
  log(`pip install ${REQUIREMENTS.join(' ')} into it (a few minutes the first time; output in ${path.relative(repoRoot, PIP_LOG)})...`);
  const pip = await run(python, ['-m', 'pip', 'install', '--progress-bar', 'off', ...REQUIREMENTS], 60 * 60_000);
  await fsp.writeFile(PIP_LOG, pip.output);
  if (!pip.ok) return { ok: false, note: `pip could not install ${REQUIREMENTS.join(' ')} (see ${PIP_LOG}): ${lastLines(pip.output, 1)}` };
  const versions = await probe(python);
  if (!versions) return { ok: false, note: `pip finished but ${python} still cannot import the references' packages (see ${PIP_LOG})` };
  return { ok: true, python, versions };
}

async function probe(python: string): Promise<string | null> {
  const result = await execute(python, ['-c', PROBE], 5 * 60_000);
  if (!result.ok) return null;
  const [keras, tensorflow, torch] = result.stdout.trim().split('\n').pop()!.split(' ');
  const versions = `keras ${keras}, tensorflow ${tensorflow}, torch ${torch}`;
  await fsp.writeFile(VENV_READY, `${versions}\n`);
  return versions;
}

async function run(command: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  const result = await execute(command, args, timeoutMs);
  return { ok: result.ok, output: `${result.stdout}${result.stderr}${result.ok ? '' : result.error}` };
}
