// Runs in the training thread on the tensorflow backend: shorthand for the float32 TensorFlow ops the emitters use most.
import { DT_INT32, FLOAT, attr } from './graph-builder.js';
import type { GraphBuilder } from './graph-builder.js';

const T = { T: FLOAT };
const INT = attr.type(DT_INT32);

export const add = (g: GraphBuilder, a: string, b: string): string => g.op('AddV2', [a, b], T);
export const sub = (g: GraphBuilder, a: string, b: string): string => g.op('Sub', [a, b], T);
export const mul = (g: GraphBuilder, a: string, b: string): string => g.op('Mul', [a, b], T);
export const div = (g: GraphBuilder, a: string, b: string): string => g.op('RealDiv', [a, b], T);
export const unary = (g: GraphBuilder, op: string, a: string): string => g.op(op, [a], T);

/** Sum (or another reduction) over `axes`, keeping them as size 1 when `keep`. */
export function reduce(g: GraphBuilder, op: 'Sum' | 'Mean' | 'Max', x: string, axes: number | readonly number[], keep = false): string {
  return g.op(op, [x, g.int(axes)], { ...T, Tidx: INT, keep_dims: attr.bool(keep) });
}

/** The sum of gradients reaching one tensor from several consumers. */
export function addN(g: GraphBuilder, terms: readonly string[]): string {
  return terms.length === 1 ? terms[0]! : g.op('AddN', terms, { ...T, N: attr.int(terms.length) });
}

/** x's shape as an int32 tensor: the batch size is a graph input's, known only at run time. */
export const shapeOf = (g: GraphBuilder, x: string): string => g.op('Shape', [x], { T: FLOAT, out_type: INT });

export const reshape = (g: GraphBuilder, x: string, shape: string): string => g.op('Reshape', [x, shape], { ...T, Tshape: INT });

export const cast = (g: GraphBuilder, x: string, from: number, to: number): string =>
  g.op('Cast', [x], { SrcT: attr.type(from), DstT: attr.type(to), Truncate: attr.bool(false) });
