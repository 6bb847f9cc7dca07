// Runs in the training thread: splits our generated SIMD loops over helper threads that share the threaded wasm build's memory.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { isShared, type CompiledLoop, type Memory } from './wasm-asm.js';

/**
 * XNNPACK spreads convolutions over its pthread pool, but every other kernel (tfjs's elementwise ops, and ours) runs on
 * the calling thread alone: on 2 cores the process used 0.9-1.3 cores. Our loops take byte addresses in the backend's
 * memory, which the threaded build makes a SharedArrayBuffer, so another thread can run the same loop on another part
 * of the tensor. A helper is a worker thread blocked in Atomics.wait on its control words; the caller writes a job
 * (the loop's id and arguments), wakes it, runs its own part, and waits for the helper's. Loops reach a helper as
 * compiled modules through a MessagePort it drains synchronously (receiveMessageOnPort) before each job.
 */
const HELPER = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { memory, control, port } = workerData;
const words = new Int32Array(control);
const loops = new Map();
let job = 0;
for (;;) {
  Atomics.wait(words, 0, job);
  job = Atomics.load(words, 0);
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port))
    loops.set(m.message.id, new WebAssembly.Instance(m.message.module, { env: { memory } }).exports.run);
  let status = 1;
  try {
    loops.get(words[2])(...words.subarray(5, 5 + words[3]));
  } catch {
    status = 2;
  }
  Atomics.store(words, 4, status);
  Atomics.store(words, 1, job);
  Atomics.notify(words, 1);
}
`;

// Control words: 0 the job number, 1 the job done, 2 the loop id, 3 the argument count, 4 the status (1 ok), 5.. the arguments.
const JOB = 0,
  DONE = 1,
  LOOP = 2,
  COUNT = 3,
  STATUS = 4,
  ARGS = 5;
const MAX_ARGS = 12;
/** A helper that has not finished its part in this long is taken as lost: the kernel fails rather than hangs. */
const TIMEOUT_MS = 60_000;

interface Helper {
  words: Int32Array;
  port: MessagePort;
  /** The loops (by id) already sent to this helper. */
  sent: Set<number>;
  job: number;
  /** Set when its thread has ended (it never should): its parts then run on the calling thread. */
  lost: boolean;
}

interface Pool {
  helpers: Helper[];
  ids: Map<CompiledLoop, number>;
}

const pools = new WeakMap<Memory, Pool | null>();

/** One part of a split loop: a compiled loop (wasm-asm.ts's compiledLoop) and its arguments. */
export interface LoopPart {
  loop: CompiledLoop;
  args: number[];
}

/** How many threads a split loop runs on (this one and its helpers); 1 where there is no shared memory or one thread was asked for. */
export function loopThreadCount(backend: BackendWasm): number {
  const pool = poolFor(backend);
  return 1 + (pool?.helpers.length ?? 0);
}

/** Runs the parts at once, parts[0] on this thread and the others on helpers (at most loopThreadCount - 1 of them). */
export function runSplit(backend: BackendWasm, parts: LoopPart[]): void {
  const [here, ...there] = parts;
  const pool = there.length === 0 ? null : poolFor(backend);
  if (pool === null) return void parts.forEach(runHere);
  if (there.length > pool.helpers.length)
    throw new Error(`a loop split in ${parts.length} parts, with ${pool.helpers.length} helper threads`);
  const helpers = pool.helpers.slice(0, there.length);
  const started = there.flatMap((part, i) => (helpers[i]!.lost ? [] : [start(pool, helpers[i]!, part)]));
  if (here) runHere(here);
  for (const [i, part] of there.entries()) if (helpers[i]!.lost) runHere(part);
  started.forEach(finish);
}

function runHere({ loop, args }: LoopPart): void {
  (loop.run as (...args: number[]) => number)(...args);
}

function poolFor(backend: BackendWasm): Pool | null {
  const module = backend.wasm as unknown as { wasmMemory?: Memory; tfjs?: { getThreadsCount?: () => number } };
  const memory = module.wasmMemory;
  if (memory === undefined || !isShared(memory)) return null;
  if (!pools.has(memory)) {
    const threads = module.tfjs?.getThreadsCount?.() ?? 1;
    pools.set(memory, threads > 1 ? { helpers: Array.from({ length: threads - 1 }, () => startHelper(memory)), ids: new Map() } : null);
  }
  return pools.get(memory)!;
}

function startHelper(memory: Memory): Helper {
  const control = new SharedArrayBuffer((ARGS + MAX_ARGS) * 4);
  const { port1, port2 } = new MessageChannel();
  // No execArgv: the script is plain CommonJS, whatever loader flags (tsx, --input-type) this process runs with.
  const worker = new Worker(HELPER, { eval: true, execArgv: [], workerData: { memory, control, port: port2 }, transferList: [port2] });
  const helper: Helper = { words: new Int32Array(control), port: port1, sent: new Set(), job: 0, lost: false };
  // Blocked in Atomics.wait for good: it must not keep the process alive.
  worker.unref();
  worker.on('error', () => (helper.lost = true));
  worker.on('exit', () => (helper.lost = true));
  return helper;
}

function start(pool: Pool, helper: Helper, { loop, args }: LoopPart): Helper {
  if (args.length > MAX_ARGS) throw new Error(`a split loop takes at most ${MAX_ARGS} arguments`);
  let id = pool.ids.get(loop);
  if (id === undefined) pool.ids.set(loop, (id = pool.ids.size));
  if (!helper.sent.has(id)) {
    helper.port.postMessage({ id, module: loop.module });
    helper.sent.add(id);
  }
  const { words } = helper;
  words[LOOP] = id;
  words[COUNT] = args.length;
  words.set(args, ARGS);
  Atomics.store(words, JOB, ++helper.job);
  Atomics.notify(words, JOB);
  return helper;
}

function finish(helper: Helper): void {
  const { words, job } = helper;
  const deadline = performance.now() + TIMEOUT_MS;
  for (let done = Atomics.load(words, DONE); done !== job; done = Atomics.load(words, DONE)) {
    if (performance.now() > deadline) throw new Error('a kernel helper thread did not finish its part of a loop');
    Atomics.wait(words, DONE, done, 1000);
  }
  if (Atomics.load(words, STATUS) !== 1) throw new Error('a kernel helper thread failed in its part of a loop');
}
