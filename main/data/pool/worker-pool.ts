// Runs anywhere in main: a fixed pool of worker threads running request/response jobs, one at a time per worker.
import { Worker } from 'node:worker_threads';
import type { WorkerStart } from './worker-script.js';

interface Job<Req, Res> {
  request: Req;
  transfer: ArrayBuffer[];
  resolve: (value: Res) => void;
  reject: (reason: Error) => void;
}

interface Slot<Req, Res> {
  worker: Worker;
  job: Job<Req, Res> | null;
}

/** What a worker posts back for each job. */
export type WorkerReply<Res> = { ok: true; value: Res } | { ok: false; error: string };

export class WorkerPool<Req, Res> {
  readonly size: number;
  readonly #slots: Slot<Req, Res>[] = [];
  readonly #queue: Job<Req, Res>[] = [];
  #closed = false;

  constructor(
    private readonly start: WorkerStart,
    size: number,
  ) {
    this.size = Math.max(1, Math.floor(size));
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn());
  }

  run(request: Req, transfer: ArrayBuffer[] = []): Promise<Res> {
    if (this.#closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise<Res>((resolve, reject) => {
      this.#queue.push({ request, transfer, resolve, reject });
      this.#dispatch();
    });
  }

  /** Jobs waiting for a free worker (not counting those running). */
  get queued(): number {
    return this.#queue.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('the worker pool was closed'));
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #spawn(): Slot<Req, Res> {
    const worker = new Worker(this.start.script, this.start.options);
    const slot: Slot<Req, Res> = { worker, job: null };
    worker.on('message', (reply: WorkerReply<Res>) => this.#settle(slot, reply));
    worker.on('error', (error) => this.#replace(slot, error));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#replace(slot, new Error(`a worker thread exited with code ${code}`));
    });
    worker.unref(); // an idle pool must not keep the process alive
    return slot;
  }

  #settle(slot: Slot<Req, Res>, reply: WorkerReply<Res>): void {
    const job = slot.job;
    slot.job = null;
    if (job) {
      if (reply.ok) job.resolve(reply.value);
      else job.reject(new Error(reply.error));
    }
    this.#dispatch();
  }

  /** A worker that crashed fails only the job it held; a fresh worker takes its place. */
  #replace(slot: Slot<Req, Res>, error: Error): void {
    if (this.#closed) return;
    const index = this.#slots.indexOf(slot);
    if (index < 0) return;
    slot.job?.reject(error);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    this.#slots[index] = this.#spawn();
    this.#dispatch();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job || this.#queue.length === 0) continue;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // busy: keep the process alive until the job answers
      slot.worker.postMessage(job.request, job.transfer);
    }
    for (const slot of this.#slots) if (!slot.job) slot.worker.unref();
  }
}
