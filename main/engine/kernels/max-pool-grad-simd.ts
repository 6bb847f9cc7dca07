// Runs in the training thread: MaxPoolGrad's 2x2 windows as a WebAssembly SIMD loop over the wasm backend's own memory.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  add,
  advance,
  and,
  andNot,
  anyTrue,
  countDown,
  end,
  f32x4Const,
  f32x4Eq,
  f32x4Gt,
  get,
  i32,
  load,
  loop,
  loopOnBackend,
  mul,
  not,
  or,
  set,
  store,
  tee,
} from './wasm-asm.js';

/**
 * One row of full 2x2 windows, four channels per instruction. Addresses are bytes in the backend's memory:
 * `x` and `dx` at the first window's top-left pixel, `pooled` and `dy` at its output; `row` is the bytes from one
 * input row to the next. Returns 1 when some window's maximum is NaN or -Infinity: those windows were given zeros,
 * and the caller redoes the row by the cpu rule.
 */
export type Rows2x2 = (x: number, dx: number, pooled: number, dy: number, windows: number, quads: number, row: number) => number;

/**
 * The loop instantiated on this backend's memory (once per memory), or null where that cannot be done: then the JS
 * loop runs instead.
 */
export function rows2x2(backend: BackendWasm): Rows2x2 | null {
  return loopOnBackend<Rows2x2>(backend, 'maxPoolGrad2x2', () => ({ params: 7, i32Locals: 3, v128Locals: 5, body: body() }));
}

// Parameters and locals of the function, by index.
const X = 0,
  DX = 1,
  POOLED = 2,
  DY = 3,
  WINDOWS = 4,
  QUADS = 5,
  ROW = 6;
const K = 7,
  RIGHT = 8,
  DIAGONAL = 9;
const MAX = 10,
  GRAD = 11,
  TAKEN = 12,
  E = 13,
  INVALID = 14;

const minusInfinity = f32x4Const(-Infinity);

/**
 * The pixel `offset` bytes (a local) from the window's top-left one, or that one: e = (x == max) & ~taken, dx = dy & e,
 * taken |= e. So the first pixel equal to the maximum gets dy's bits and every other one zeros.
 */
function pixel(offset?: number): number[] {
  const at = (base: number) => [...get(base), ...(offset === undefined ? [] : [...get(offset), ...add])];
  return [
    ...at(DX),
    ...get(GRAD),
    ...at(X),
    ...load(),
    ...get(MAX),
    ...f32x4Eq,
    ...get(TAKEN),
    ...andNot,
    ...tee(E),
    ...and,
    ...store(),
    ...get(TAKEN),
    ...get(E),
    ...or,
    ...set(TAKEN),
  ];
}

/**
 * for each window: for each quad of channels: max, grad = pooled[], dy[]; taken = !(max > -Infinity);
 * invalid |= taken; the four pixels; x, dx, pooled, dy += 16 bytes. Then x, dx += one pixel. Return any(invalid).
 */
function body(): number[] {
  const quad = 16;
  return [
    ...get(QUADS),
    ...i32(quad),
    ...mul,
    ...set(RIGHT),
    ...get(ROW),
    ...get(RIGHT),
    ...add,
    ...set(DIAGONAL),
    ...loop,
    ...get(QUADS),
    ...set(K),
    ...loop,
    ...get(POOLED),
    ...load(),
    ...set(MAX),
    ...get(DY),
    ...load(),
    ...set(GRAD),
    ...get(MAX),
    ...minusInfinity,
    ...f32x4Gt,
    ...not,
    ...tee(TAKEN),
    ...get(INVALID),
    ...or,
    ...set(INVALID),
    ...pixel(),
    ...pixel(RIGHT),
    ...pixel(ROW),
    ...pixel(DIAGONAL),
    ...[X, DX, POOLED, DY].flatMap((t) => [...get(t), ...i32(quad), ...add, ...set(t)]),
    ...countDown(K),
    ...end,
    // The quads loop moved x and dx on by one pixel; the next window starts two pixels on.
    ...advance(RIGHT, X, DX),
    ...countDown(WINDOWS),
    ...end,
    ...get(INVALID),
    ...anyTrue,
  ];
}
