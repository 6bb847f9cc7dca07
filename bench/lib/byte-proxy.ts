// Runs in bench scripts (Node): bytes on the wire, counted by a TCP proxy between the parties and the aggregator (in its own thread).
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../../main/data/pool/worker-script.js';

export interface ByteProxy {
  /** host:port the parties connect to. */
  address: string;
  /** Every byte so far: towards the aggregator (`up`) and back to the parties (`down`), TCP payload with all framing and headers. */
  bytes(): { up: number; down: number };
  close(): Promise<void>;
}

/** A proxy in front of `target` (host:port); counts are read without waiting on its thread. */
export async function startByteProxy(target: string): Promise<ByteProxy> {
  const counters = new BigUint64Array(new SharedArrayBuffer(16));
  const { script, options } = workerScript(import.meta.url, 'byte-proxy.worker');
  const worker = new Worker(script, { ...options, workerData: { target, counters } });
  const [{ port }] = (await once(worker, 'message')) as [{ port: number }];
  return {
    address: `127.0.0.1:${port}`,
    bytes: () => ({ up: Number(Atomics.load(counters, 0)), down: Number(Atomics.load(counters, 1)) }),
    close: async () => {
      await worker.terminate();
    },
  };
}
