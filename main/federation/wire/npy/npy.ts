// Runs anywhere: .npy files to and from typed arrays, checked against numpy's own files in the tests.
import { WireError, describeValue, withContext } from '../errors.js';
import { DTYPES, assertLittleEndianHost, dtypeOfDescr, elementCount, isDtype, type AnyNdArray } from './dtypes.js';
import { formatNpyHeader, parseNpyHeader } from './header.js';

/** The default ceiling on what one decode (and one message's inflate) may allocate: 1 GiB. */
export const DEFAULT_MAX_BYTES = 2 ** 30;

export interface DecodeNpyOptions {
  /** Refuse an array whose declared size exceeds this many bytes, before allocating anything. */
  maxBytes?: number;
  /** Prefixed to errors: the array's name, say. */
  what?: string;
}

/** A complete .npy file (v1.0 header, C order, little-endian), byte for byte what numpy's np.save writes. */
export function encodeNpy(array: AnyNdArray, what?: string): Uint8Array {
  return withContext(what, () => {
    assertLittleEndianHost();
    if (!isDtype(array.dtype)) throw new WireError(`dtype ${describeValue(array.dtype)} is not one of ${Object.keys(DTYPES).join(', ')}`);
    const info = DTYPES[array.dtype];
    if (!(array.data instanceof info.arrayType))
      throw new WireError(`${array.dtype} data must be a ${info.arrayType.name}, got ${describeValue(array.data)}`);
    const count = elementCount(array.shape);
    if (array.data.length !== count)
      throw new WireError(`shape [${array.shape.join(', ')}] holds ${count} values but data has ${array.data.length}`);
    const header = formatNpyHeader(info.descr, array.shape);
    const file = new Uint8Array(header.length + array.data.byteLength);
    file.set(header);
    file.set(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength), header.length);
    return file;
  });
}

/**
 * A .npy file -> an NdArray. Accepts v1/v2/v3 headers and the six dtypes; refuses Fortran order, object dtypes
 * (pickles), big-endian and unknown dtypes, and a declared size that exceeds `maxBytes` or differs from the
 * bytes present, all before allocating. The result views `bytes` when its data is aligned, else copies.
 */
export function decodeNpy(bytes: Uint8Array, options: DecodeNpyOptions = {}): AnyNdArray {
  const { maxBytes = DEFAULT_MAX_BYTES, what } = options;
  return withContext(what, () => {
    assertLittleEndianHost();
    const header = parseNpyHeader(bytes);
    const dtype = dtypeOfDescr(header.descr);
    const { itemSize, arrayType } = DTYPES[dtype];
    const declared = elementCount(header.shape) * itemSize;
    const described = `npy shape [${header.shape.join(', ')}] of ${dtype} declares ${declared} bytes`;
    if (declared > maxBytes) throw new WireError(`${described}, more than the ceiling of ${maxBytes}`);
    const present = bytes.length - header.dataOffset;
    if (present !== declared) throw new WireError(`${described} but the file holds ${present}`);
    let start = bytes.byteOffset + header.dataOffset;
    let buffer = bytes.buffer;
    if (start % itemSize !== 0) {
      buffer = bytes.slice(header.dataOffset).buffer;
      start = 0;
    }
    return { dtype, shape: header.shape, data: new arrayType(buffer, start, declared / itemSize) } as AnyNdArray;
  });
}
