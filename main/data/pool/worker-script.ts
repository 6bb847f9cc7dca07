// Runs anywhere in main: how to start `<name>.worker` beside its caller, whether running from source or from dist.
import type { WorkerOptions } from 'node:worker_threads';

export interface WorkerStart {
  /** A file URL, or (from source) a bootstrap to run with `eval: true`. */
  script: URL | string;
  options: WorkerOptions;
}

/**
 * From the compiled dist/ the worker is a .js file. From source (tests, tsx) it is .ts, and Node 20 ignores loader
 * flags in a worker's execArgv (nodejs/node#47747), so the thread registers tsx itself before importing the file.
 */
export function workerScript(callerUrl: string, name: string, options: WorkerOptions = {}): WorkerStart {
  const fromSource = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, callerUrl);
  if (!fromSource) return { script: url, options };
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${api}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return { script: code, options: { ...options, eval: true } };
}
