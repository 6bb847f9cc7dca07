// Runs in the training thread: a tiny WebAssembly assembler for our SIMD loops, instantiated on the wasm backend's own memory.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** This project's TypeScript libs declare no WebAssembly global (Node has had it since v8): the parts used here. */
export interface Memory {
  buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** The Emscripten module's memory: its own export in the single-threaded builds, shared and imported in the threaded one. */
interface EmscriptenModule {
  wasmMemory?: Memory;
  asm?: { memory?: Memory };
}

/** One function of a generated module: its i32 parameters (addresses are byte offsets in the backend's memory), locals and body. */
export interface LoopFunction {
  params: number;
  i32Locals: number;
  v128Locals: number;
  body: number[];
}

/** A generated function instantiated on a backend's memory, with its compiled module (which other threads can instantiate). */
export interface CompiledLoop {
  run: unknown;
  module: object;
  memory: Memory;
}

const compiled = new WeakMap<Memory, Map<string, CompiledLoop | null>>();

/**
 * The function `key` (built by `build` on first use) instantiated on this backend's memory, or null where that cannot
 * be done: then the caller's other path runs. The memory may grow later; the instance sees the same memory object, so
 * it grows with it. Each (memory, key) compiles once.
 */
export function loopOnBackend<F>(backend: BackendWasm, key: string, build: () => LoopFunction): F | null {
  return (compiledLoop(backend, key, build)?.run as F | undefined) ?? null;
}

/** As loopOnBackend, with the module and memory, for running the same function on other threads of a shared memory. */
export function compiledLoop(backend: BackendWasm, key: string, build: () => LoopFunction): CompiledLoop | null {
  const module = backend.wasm as unknown as EmscriptenModule;
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (memory === undefined || wasmApi === undefined) return null;
  let functions = compiled.get(memory);
  if (functions === undefined) compiled.set(memory, (functions = new Map()));
  if (!functions.has(key)) functions.set(key, instantiate(wasmApi, memory, build()));
  return functions.get(key) ?? null;
}

function instantiate(api: WasmApi, memory: Memory, fn: LoopFunction): CompiledLoop | null {
  const shared = isShared(memory);
  try {
    const module = new api.Module(moduleBytes(fn, shared));
    return { run: new api.Instance(module, { env: { memory } }).exports.run, module, memory };
  } catch {
    return null;
  }
}

export function isShared(memory: Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

// Value types and the few instructions used, as bytes.
export const I32 = 0x7f;
export const V128 = 0x7b;
export const get = (i: number) => [0x20, i];
export const set = (i: number) => [0x21, i];
export const tee = (i: number) => [0x22, i];
export const i32 = (n: number) => [0x41, ...sleb(n)];
export const add = [0x6a];
export const mul = [0x6c];
export const loop = [0x03, 0x40];
/** Back to the start of the innermost loop while the i32 on the stack is not 0. */
export const repeatIf = [0x0d, 0];
export const end = [0x0b];
export const simd = (op: number) => [0xfd, ...uleb(op)];
/** v128.load / v128.store with alignment 1 (tensors are 4-byte aligned) and a constant byte offset. */
export const load = (offset = 0) => [...simd(0x00), 0, ...uleb(offset)];
export const store = (offset = 0) => [...simd(0x0b), 0, ...uleb(offset)];
/** One float at address + offset, in all four lanes. */
export const load32Splat = (offset = 0) => [...simd(0x09), 0, ...uleb(offset)];
export const f32x4Eq = simd(0x41);
export const f32x4Gt = simd(0x44);
export const f32x4Add = simd(0xe4);
export const f32x4Sub = simd(0xe5);
export const f32x4Mul = simd(0xe6);
export const f32x4Div = simd(0xe7);
export const not = simd(0x4d);
export const and = simd(0x4e);
export const andNot = simd(0x4f);
export const or = simd(0x50);
export const anyTrue = simd(0x53);
export const f64x2Add = simd(0xf0);
/** The low two lanes of an f32x4 as an f64x2. */
export const f64x2PromoteLow = simd(0x5f);
/** Four 32-bit lanes picked from two vectors (0-3: the first, 4-7: the second). */
export const shuffle32 = (lanes: [number, number, number, number]) => [
  ...simd(0x0d),
  ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
];
/** The high two f32 lanes moved to the low two (the shuffle of a vector with itself). */
export const highHalf = shuffle32([2, 3, 2, 3]);
export const zero = [...simd(0x0c), ...Array<number>(16).fill(0)];
export const f32x4Const = (value: number) => {
  const bytes = new Uint8Array(Float32Array.of(value).buffer);
  return [...simd(0x0c), ...Array.from({ length: 4 }, () => [...bytes]).flat()];
};

/** Adds `bytes` (a local) to each of the locals in `targets`. */
export const advance = (bytes: number, ...targets: number[]) => targets.flatMap((t) => [...get(t), ...get(bytes), ...add, ...set(t)]);
/** Adds a constant to each of the locals in `targets`. */
export const advanceBy = (bytes: number, ...targets: number[]) => targets.flatMap((t) => [...get(t), ...i32(bytes), ...add, ...set(t)]);
/** Subtracts 1 from a counter and repeats the loop while it is not 0. */
export const countDown = (counter: number) => [...get(counter), ...i32(-1), ...add, ...tee(counter), ...repeatIf];

/** A module importing env.memory and exporting `run`: (i32 × params) → i32. */
function moduleBytes(fn: LoopFunction, shared: boolean): Uint8Array {
  const type = [1, 0x60, fn.params, ...Array<number>(fn.params).fill(I32), 1, I32];
  // Shared memory must declare a maximum: Emscripten's threaded build has 65536 pages (4 GiB).
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const imports = [1, ...name('env'), ...name('memory'), 0x02, ...limits];
  const exports = [1, ...name('run'), 0x00, 0];
  const code = [2, ...uleb(fn.i32Locals), I32, ...uleb(fn.v128Locals), V128, ...fn.body, ...end];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, type),
    ...section(2, imports),
    ...section(3, [1, 0]),
    ...section(7, exports),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [text.length, ...Array.from(text, (ch) => ch.charCodeAt(0))];
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? byte : byte | 0x80);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}
