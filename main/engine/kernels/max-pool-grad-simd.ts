// Runs in the training thread: MaxPoolGrad's 2x2 windows as a WebAssembly SIMD loop over the wasm backend's own memory.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * One row of full 2x2 windows, four channels per instruction. Addresses are bytes in the backend's memory:
 * `x` and `dx` at the first window's top-left pixel, `pooled` and `dy` at its output; `row` is the bytes from one
 * input row to the next. Returns 1 when some window's maximum is NaN or -Infinity: those windows were given zeros,
 * and the caller redoes the row by the cpu rule.
 */
export type Rows2x2 = (x: number, dx: number, pooled: number, dy: number, windows: number, quads: number, row: number) => number;

/** This project's TypeScript libs declare no WebAssembly global (Node has had it since v8): the parts used here. */
interface Memory {
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

const compiled = new WeakMap<Memory, Rows2x2 | null>();

/**
 * The loop instantiated on this backend's memory (once per memory), or null where that cannot be done: then the JS
 * loop runs instead. The memory may grow later; this instance sees the same memory object, so it grows with it.
 */
export function rows2x2(backend: BackendWasm): Rows2x2 | null {
  const module = backend.wasm as unknown as EmscriptenModule;
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (memory === undefined) return null;
  if (!compiled.has(memory)) compiled.set(memory, instantiate(memory));
  return compiled.get(memory)!;
}

function instantiate(memory: Memory): Rows2x2 | null {
  if (wasmApi === undefined) return null;
  const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  try {
    const instance = new wasmApi.Instance(new wasmApi.Module(moduleBytes(shared)), { env: { memory } });
    return instance.exports.rows2x2 as Rows2x2;
  } catch {
    return null;
  }
}

// Parameters and locals of the function, by index.
const X = 0, DX = 1, POOLED = 2, DY = 3, WINDOWS = 4, QUADS = 5, ROW = 6;
const K = 7, RIGHT = 8, DIAGONAL = 9;
const MAX = 10, GRAD = 11, TAKEN = 12, E = 13, INVALID = 14;

// The few WebAssembly instructions used, as bytes.
const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32 = (n: number) => [0x41, ...sleb(n)];
const add = [0x6a];
const mul = [0x6c];
const loop = [0x03, 0x40];
/** Back to the start of the innermost loop while the i32 on the stack is not 0. */
const repeatIf = [0x0d, 0];
const end = [0x0b];
const simd = (op: number) => [0xfd, ...uleb(op)];
/** v128.load / v128.store with alignment 1 (tensors are 4-byte aligned) and no offset. */
const load = [...simd(0x00), 0, 0];
const store = [...simd(0x0b), 0, 0];
const f32x4Eq = simd(0x41);
const f32x4Gt = simd(0x44);
const not = simd(0x4d);
const and = simd(0x4e);
const andNot = simd(0x4f);
const or = simd(0x50);
const anyTrue = simd(0x53);
const minusInfinity = [...simd(0x0c), ...Array.from({ length: 4 }, () => [0x00, 0x00, 0x80, 0xff]).flat()];

/** Adds `bytes` (a local) to each of the locals in `targets`. */
const advance = (bytes: number, ...targets: number[]) => targets.flatMap((t) => [...get(t), ...get(bytes), ...add, ...set(t)]);
/** Subtracts 1 from a counter and repeats the loop while it is not 0. */
const countDown = (counter: number) => [...get(counter), ...i32(-1), ...add, ...tee(counter), ...repeatIf];

/**
 * The pixel `offset` bytes (a local) from the window's top-left one, or that one: e = (x == max) & ~taken, dx = dy & e,
 * taken |= e. So the first pixel equal to the maximum gets dy's bits and every other one zeros.
 */
function pixel(offset?: number): number[] {
  const at = (base: number) => [...get(base), ...(offset === undefined ? [] : [...get(offset), ...add])];
  return [
    ...at(DX),
    ...get(GRAD),
    ...at(X), ...load, ...get(MAX), ...f32x4Eq, ...get(TAKEN), ...andNot, ...tee(E),
    ...and, ...store,
    ...get(TAKEN), ...get(E), ...or, ...set(TAKEN),
  ];
}

/**
 * for each window: for each quad of channels: max, grad = pooled[], dy[]; taken = !(max > -Infinity);
 * invalid |= taken; the four pixels; x, dx, pooled, dy += 16 bytes. Then x, dx += one pixel. Return any(invalid).
 */
function body(): number[] {
  const quad = 16;
  return [
    ...get(QUADS), ...i32(quad), ...mul, ...set(RIGHT),
    ...get(ROW), ...get(RIGHT), ...add, ...set(DIAGONAL),
    ...loop,
    ...get(QUADS), ...set(K),
    ...loop,
    ...get(POOLED), ...load, ...set(MAX),
    ...get(DY), ...load, ...set(GRAD),
    ...get(MAX), ...minusInfinity, ...f32x4Gt, ...not, ...tee(TAKEN),
    ...get(INVALID), ...or, ...set(INVALID),
    ...pixel(), ...pixel(RIGHT), ...pixel(ROW), ...pixel(DIAGONAL),
    ...[X, DX, POOLED, DY].flatMap((t) => [...get(t), ...i32(quad), ...add, ...set(t)]),
    ...countDown(K),
    ...end,
    // The quads loop moved x and dx on by one pixel; the next window starts two pixels on.
    ...advance(RIGHT, X, DX),
    ...countDown(WINDOWS),
    ...end,
    ...get(INVALID), ...anyTrue,
    ...end,
  ];
}

function moduleBytes(shared: boolean): Uint8Array {
  const type = [1, 0x60, 7, ...Array<number>(7).fill(I32), 1, I32];
  // Shared memory must declare a maximum: Emscripten's threaded build has 65536 pages (4 GiB).
  const limits = shared ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const imports = [1, ...name('env'), ...name('memory'), 0x02, ...limits];
  const exports = [1, ...name('rows2x2'), 0x00, 0];
  const code = [2, 3, I32, 5, V128, ...body()];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
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
