// Runs in a worker thread of the decode pool: answers each DecodeJob with decoded rows or file probes.
import { parentPort } from 'node:worker_threads';
import type { WorkerReply } from '../pool/worker-pool.js';
import { runDecodeJob, transferables, type DecodeJob, type DecodeResult } from './decode-jobs.js';

parentPort!.on('message', async (job: DecodeJob) => {
  let reply: WorkerReply<DecodeResult>;
  try {
    const value = await runDecodeJob(job);
    reply = { ok: true, value };
  } catch (error) {
    reply = { ok: false, error: (error as Error).message };
  }
  parentPort!.postMessage(reply, reply.ok ? transferables(reply.value) : []);
});
