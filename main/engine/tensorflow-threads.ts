// Runs on a host's main thread (the services process, the CLI): holds the TensorFlow C library under tfjs-node to the config's training.threads.
import { isMainThread } from 'node:worker_threads';
import { loadPartyConfig } from '../config/party-config.js';

/**
 * TensorFlow sizes its compute pool (intra-op) and its op scheduler (inter-op) from these when it starts its first
 * device, once per process; unset, each is one thread per core. It reads them with getenv, so they must be in the
 * process's own environment: a worker thread's process.env is a copy, so the host thread sets them before the
 * training thread loads tfjs-node. Set already (by the operator, or by an earlier training thread): left as it is.
 */
export const TENSORFLOW_THREADS_ENV = ['TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS'] as const;

export function limitTensorflowThreads(threads: number | undefined, env: NodeJS.ProcessEnv = process.env): void {
  if (threads === undefined || !isMainThread) return;
  for (const name of TENSORFLOW_THREADS_ENV) env[name] ||= String(threads);
}

/** The config's training.threads, for the host to apply before the training thread opens it; a config that does not load is the thread's to report. */
export async function limitTensorflowThreadsFor(configFile: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const threads = await loadPartyConfig(configFile).then(
    ({ config }) => config.training.threads,
    () => undefined,
  );
  limitTensorflowThreads(threads, env);
}
