// Runs in the party (plain Node): maskedUpdateFiles on the process's masking threads, started at the first SecAgg+ round.
import { availableParallelism } from 'node:os';

import { WorkerPool } from '../../data/pool/worker-pool.js';
import { workerScript } from '../../data/pool/worker-script.js';
import type { MaskJob } from './masked-update.js';

type MaskPool = WorkerPool<MaskJob, Uint8Array[], undefined>;

let pool: MaskPool | undefined;

/**
 * A 5M-parameter update takes about 1.5 s of masking at 10 parties (one MT19937 draw per weight and mask): on the
 * party's own thread that stalls its heartbeats, and with several parties in one process (the demo, the benches) the
 * server counted them offline. The pool's threads are shared by every party of the process and, idle, do not keep
 * it alive.
 */
export function maskedUpdateInThread(job: MaskJob): Promise<Uint8Array[]> {
  pool ??= new WorkerPool(workerScript(import.meta.url, 'masked-update.worker'), availableParallelism());
  return pool.run(job);
}
