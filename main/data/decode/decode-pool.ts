// Runs anywhere in main: the process-wide pool of decode threads, shared by every generator that asks for the same size.
import { availableParallelism } from 'node:os';
import { workerScript } from '../pool/worker-script.js';
import { WorkerPool } from '../pool/worker-pool.js';
import type { DecodeContext, DecodeResult, Job } from './decode-jobs.js';

export type DecodePool = WorkerPool<Job, DecodeResult, DecodeContext>;

const shared = new Map<number, { pool: DecodePool; users: number }>();

export interface DecodePoolLease {
  pool: DecodePool;
  release: () => Promise<void>;
}

/** A lease on a shared pool of `size` threads (default: one per core); the last release closes it. */
export function leaseDecodePool(size = availableParallelism()): DecodePoolLease {
  let entry = shared.get(size);
  if (!entry) {
    entry = { pool: new WorkerPool<Job, DecodeResult, DecodeContext>(workerScript(import.meta.url, 'decode.worker'), size), users: 0 };
    shared.set(size, entry);
  }
  entry.users++;
  const leased = entry;
  let released = false;
  return {
    pool: leased.pool,
    release: async () => {
      if (released) return;
      released = true;
      if (--leased.users > 0) return;
      shared.delete(size);
      await leased.pool.close();
    },
  };
}

let nextContext = 0;

/** A context id unique in this process, for a generator's PoolContext. */
export function contextId(kind: string): string {
  return `${kind}-${nextContext++}`;
}
