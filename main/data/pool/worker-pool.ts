// Runs anywhere in main: a fixed pool of worker threads running request/response jobs, one at a time per worker.
import { parentPort, Worker } from 'node:worker_threads';
import type { WorkerStart } from './worker-script.js';

/**
 * What stays the same across many jobs (a file list, decode settings): sent to each worker once, then named by id.
 * Both sides keep the last CONTEXTS_KEPT contexts per worker in the same least-recently-used order, so the pool
 * always knows whether a worker still holds one.
 */
export interface PoolContext<C> {
  id: string;
  value: C;
}

const CONTEXTS_KEPT = 8;

interface Envelope<Req, C> {
  request: Req;
  context?: { id: string; value?: C };
}

/** What a worker posts back for each job. */
export type WorkerReply<Res> = { ok: true; value: Res } | { ok: false; error: string };

/** What a worker posts once, when it is ready to take jobs. */
const READY = 'worker-ready';

interface Job<Req, Res, C> {
  request: Req;
  transfer: ArrayBuffer[];
  context?: PoolContext<C>;
  resolve: (value: Res) => void;
  reject: (reason: Error) => void;
}

interface Slot<Req, Res, C> {
  worker: Worker;
  /** Settles when the thread has loaded its code (or died trying). */
  ready: Promise<void>;
  started: boolean;
  /** Jobs sent to this worker, oldest first: it answers them in order. */
  jobs: Job<Req, Res, C>[];
  contexts: Map<string, true>;
}

/**
 * Jobs a worker may hold at once. Two means the next job is already waiting when one finishes, so a worker does
 * not idle while the dispatching thread is busy (collecting garbage, handing out the last result).
 */
const JOBS_PER_WORKER = 2;

/** Record a use of `id` in an LRU map; true if it was already there. */
function touch(lru: Map<string, unknown>, id: string, value: unknown): boolean {
  const had = lru.delete(id);
  lru.set(id, value);
  if (lru.size > CONTEXTS_KEPT) lru.delete(lru.keys().next().value!);
  return had;
}

export class WorkerPool<Req, Res, C = unknown> {
  readonly size: number;
  readonly #slots: Slot<Req, Res, C>[] = [];
  readonly #queue: Job<Req, Res, C>[] = [];
  #closed = false;
  /** Set when a thread died before it could take jobs: the code cannot load, and a new thread would die the same way. */
  #broken: Error | null = null;

  constructor(
    private readonly start: WorkerStart,
    size: number,
  ) {
    this.size = Math.max(1, Math.floor(size));
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn());
  }

  /** Resolves when every thread has loaded its code (starting threads is set-up work); rejects if one cannot. */
  async ready(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.ready));
  }

  run(request: Req, transfer: ArrayBuffer[] = [], context?: PoolContext<C>): Promise<Res> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise<Res>((resolve, reject) => {
      this.#queue.push({ request, transfer, context, resolve, reject });
      this.#dispatch();
    });
  }

  /** Every job not answered yet, queued or held by a thread, is rejected; then the threads end. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#failAll(new Error('the worker pool was closed'));
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #failAll(error: Error): void {
    for (const job of this.#queue.splice(0)) job.reject(error);
    for (const slot of this.#slots) for (const job of slot.jobs.splice(0)) job.reject(error);
  }

  #spawn(): Slot<Req, Res, C> {
    const worker = new Worker(this.start.script, this.start.options);
    let settleReady: (error?: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => (settleReady = (error) => (error ? reject(error) : resolve())));
    ready.catch(() => {}); // a start-up failure is reported by ready() and by every job, not as an unhandled rejection
    const slot: Slot<Req, Res, C> = { worker, ready, started: false, jobs: [], contexts: new Map() };
    const died = (error: Error) => {
      if (this.#closed) return;
      if (slot.started) return this.#replace(slot, error);
      this.#broken = new Error(`worker threads cannot start: ${error.message}`, { cause: error });
      settleReady(this.#broken);
      this.#failAll(this.#broken);
      void this.close();
    };
    worker.on('message', (reply: WorkerReply<Res> | typeof READY) => {
      if (reply !== READY) return this.#settle(slot, reply);
      slot.started = true;
      settleReady();
      if (slot.jobs.length === 0) worker.unref(); // idle and started: an idle pool must not keep the process alive
    });
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`a worker thread exited with code ${code}`)));
    return slot;
  }

  #settle(slot: Slot<Req, Res, C>, reply: WorkerReply<Res>): void {
    const job = slot.jobs.shift();
    if (job) {
      if (reply.ok) job.resolve(reply.value);
      else job.reject(new Error(reply.error));
    }
    this.#dispatch();
  }

  /** A started worker that crashed fails only the jobs it held; a fresh worker takes its place. */
  #replace(slot: Slot<Req, Res, C>, error: Error): void {
    const index = this.#slots.indexOf(slot);
    if (index < 0) return;
    for (const job of slot.jobs.splice(0)) job.reject(error);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    this.#slots[index] = this.#spawn();
    this.#dispatch();
  }

  #dispatch(): void {
    // Fill every worker's first place before any second one, so work spreads across threads.
    for (let depth = 0; depth < JOBS_PER_WORKER; depth++) {
      for (const slot of this.#slots) if (slot.jobs.length === depth && this.#queue.length > 0) this.#send(slot, this.#queue.shift()!);
    }
    for (const slot of this.#slots) if (slot.jobs.length === 0) slot.worker.unref();
  }

  /** Post one job; only a job that was posted waits for an answer (and only then has its context been sent). */
  #send(slot: Slot<Req, Res, C>, job: Job<Req, Res, C>): void {
    const envelope: Envelope<Req, C> = { request: job.request };
    if (job.context) {
      const { id, value } = job.context;
      envelope.context = slot.contexts.has(id) ? { id } : { id, value };
    }
    try {
      slot.worker.postMessage(envelope, job.transfer);
    } catch (error) {
      job.reject(error as Error);
      return;
    }
    if (job.context) touch(slot.contexts, job.context.id, true);
    slot.jobs.push(job);
    slot.worker.ref(); // busy: keep the process alive until the job answers
  }
}

/**
 * The worker side: answer each job with `handle`, resolving its context the same way the pool tracks it. Jobs run
 * strictly one after another, in arrival order, even when `handle` awaits (a job may reuse per-thread buffers).
 */
export function serveJobs<Req, Res, C>(
  handle: (request: Req, context: C | undefined) => Promise<{ value: Res; transfer?: ArrayBuffer[] }>,
): void {
  const contexts = new Map<string, C>();
  let previous = Promise.resolve();
  parentPort!.on('message', (envelope: Envelope<Req, C>) => {
    previous = previous.then(() => answer(envelope));
  });
  parentPort!.postMessage(READY);
  const answer = async ({ request, context }: Envelope<Req, C>) => {
    let reply: WorkerReply<Res>;
    let transfer: ArrayBuffer[] = [];
    try {
      let value: C | undefined;
      if (context) {
        value = context.value ?? contexts.get(context.id);
        if (value === undefined) throw new Error(`context ${context.id} was never sent to this worker`);
        touch(contexts, context.id, value);
      }
      const result = await handle(request, value);
      reply = { ok: true, value: result.value };
      transfer = result.transfer ?? [];
    } catch (error) {
      reply = { ok: false, error: (error as Error).message };
    }
    parentPort!.postMessage(reply, transfer);
  };
}
