// Runs anywhere: the six numpy dtypes the wire layer exchanges, their .npy descr strings and typed arrays.
import { WireError } from '../errors.js';

/** The typed array that holds each dtype's values (bool: one byte per value, 0 or 1, as numpy stores it). */
export interface DtypeArrays {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/** numpy's own dtype names (`str(ndarray.dtype)`), which Flower also puts in Array.dtype. */
export type Dtype = keyof DtypeArrays;

/** A C-order array: `data.length` is the product of `shape` (1 for shape []). */
export interface NdArray<D extends Dtype = Dtype> {
  dtype: D;
  shape: number[];
  data: DtypeArrays[D];
}

/** An NdArray of any dtype, narrowed by checking `dtype`. */
export type AnyNdArray = { [D in Dtype]: NdArray<D> }[Dtype];

interface DtypeInfo {
  /** The .npy header's descr, as numpy writes it (little-endian, or '|' when byte order does not apply). */
  descr: string;
  itemSize: number;
  arrayType: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): DtypeArrays[Dtype]; readonly name: string };
}

export const DTYPES: { readonly [D in Dtype]: DtypeInfo } = {
  float32: { descr: '<f4', itemSize: 4, arrayType: Float32Array },
  float64: { descr: '<f8', itemSize: 8, arrayType: Float64Array },
  int32: { descr: '<i4', itemSize: 4, arrayType: Int32Array },
  int64: { descr: '<i8', itemSize: 8, arrayType: BigInt64Array },
  uint8: { descr: '|u1', itemSize: 1, arrayType: Uint8Array },
  bool: { descr: '|b1', itemSize: 1, arrayType: Uint8Array },
};

const byDescr = new Map(Object.entries(DTYPES).map(([dtype, info]) => [info.descr, dtype as Dtype]));

export function isDtype(name: string): name is Dtype {
  return Object.hasOwn(DTYPES, name);
}

/** The dtype of a .npy descr, or a WireError that says why a descr is refused. */
export function dtypeOfDescr(descr: string): Dtype {
  const dtype = byDescr.get(descr);
  if (dtype) return dtype;
  if (/O/.test(descr)) throw new WireError(`npy dtype ${descr} holds Python objects (a pickle); refused`);
  if (descr.startsWith('>') || descr.startsWith('!'))
    throw new WireError(`npy dtype ${descr} is big-endian; only little-endian arrays are accepted`);
  throw new WireError(`npy dtype ${descr} is not supported (accepted: ${[...byDescr.keys()].join(' ')})`);
}

/** The number of values a shape holds, refusing dimensions that are not non-negative safe integers. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0)
      throw new WireError(`shape [${shape.join(', ')}] has a dimension that is not a non-negative integer`);
    count *= dim;
  }
  if (!Number.isSafeInteger(count)) throw new WireError(`shape [${shape.join(', ')}] holds more values than can be counted`);
  return count;
}

/** Typed-array views assume the host's byte order is the .npy files' (little-endian): true on every Node target. */
export function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
    throw new WireError('this host is big-endian; the .npy codec supports little-endian hosts only');
}
