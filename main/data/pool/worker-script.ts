// Runs anywhere in main: locates a worker-thread script beside its caller, whether running from source or from dist.
import type { WorkerOptions } from 'node:worker_threads';

/**
 * The URL and options to start `<name>.worker` that sits beside `callerUrl`. From the compiled dist/ it is a .js
 * file; from source (tests, tsx) it is .ts, and the worker then needs tsx's loader, which workers do not inherit.
 */
export function workerScript(callerUrl: string, name: string): { url: URL; options: WorkerOptions } {
  const fromSource = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}.worker.${fromSource ? 'ts' : 'js'}`, callerUrl);
  const execArgv = fromSource && !process.execArgv.some((arg) => arg.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv;
  return { url, options: { execArgv } };
}
