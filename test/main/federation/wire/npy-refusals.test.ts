// Tests (Node): malformed, hostile and oversized .npy files are refused before anything is allocated, naming the problem.
import { describe, expect, it } from 'vitest';
import { WireError, decodeNpy, encodeNpy, type AnyNdArray } from '../../../../main/federation/wire/index.js';

/** A v1 .npy file with any header text (padded as numpy pads) and any data bytes. */
function npy(dict: string, data = new Uint8Array(0), version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const padded = dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1, ' ') + '\n';
  const bytes = new Uint8Array(prefix + padded.length + data.length);
  bytes.set([0x93, ...new TextEncoder().encode('NUMPY'), version, 0]);
  const view = new DataView(bytes.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  bytes.set(new TextEncoder().encode(padded), prefix);
  bytes.set(data, prefix + padded.length);
  return bytes;
}

const header = (descr: string, shape: string, order = 'False') => `{'descr': '${descr}', 'fortran_order': ${order}, 'shape': ${shape}, }`;

describe('decodeNpy refuses', () => {
  it.each([
    [
      'a declared 2 GiB array with no data, against the default 1 GiB ceiling',
      npy(header('<f4', '(536870912,)')),
      /declares 2147483648 bytes, more than the ceiling of 1073741824/,
    ],
    [
      'a shape whose product is not a safe integer',
      npy(header('<f4', '(4294967296, 4294967296)')),
      /holds more values than can be counted/,
    ],
    ['too little data for the shape', npy(header('<f4', '(3,)'), new Uint8Array(8)), /declares 12 bytes but the file holds 8/],
    ['data past the shape', npy(header('|u1', '(2,)'), new Uint8Array(3)), /declares 2 bytes but the file holds 3/],
    ['a missing magic', new TextEncoder().encode('NUMPY and more bytes'), /not an npy file/],
    ['an unknown version', npy(header('<f4', '(0,)'), undefined, 4), /version 4.0 is not supported/],
    ['an int where numpy writes a tuple', npy(header('<f4', '(3)')), /shape \(n\) is an int, not a tuple/],
    ['a missing key', npy("{'descr': '<f4', 'shape': (1,), }"), /keys must be descr, fortran_order, shape/],
    ['an extra key', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': True}"), /keys must be/],
    ['a repeated key', npy("{'descr': '<f4', 'descr': '<f4', 'shape': (1,)}"), /key descr appears twice/],
    ['a negative dimension', npy(header('<f4', '(-1,)')), /shape holds something other than non-negative integers/],
    [
      'a Python expression',
      npy("{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,)}"),
      /a value is not a str, a bool or a tuple/,
    ],
    ['text after the dict', npy(`${header('<f4', '(0,)')} junk`), /text after the dict/],
    ['fortran_order as a string', npy(header('<f4', '(0,)', "'no'")), /fortran_order is not True or False/],
    ['a non-native dtype spelled with =', npy(header('=f4', '(0,)')), /npy dtype =f4 is not supported/],
    ['an object dtype spelled <O', npy(header('<O', '(0,)')), /holds Python objects/],
  ])('%s', (_case, bytes, message) => {
    expect(() => decodeNpy(bytes)).toThrow(WireError);
    expect(() => decodeNpy(bytes)).toThrow(message);
  });

  it('a header longer than numpy accepts, and one that runs past the file', () => {
    expect(() => decodeNpy(npy(header('<f4', '(0,)').padEnd(20_000), undefined, 2))).toThrow(
      /npy header of 20020 bytes is longer than 10000/,
    );
    const truncated = npy(header('<f4', '(0,)')).subarray(0, 40);
    expect(() => decodeNpy(truncated)).toThrow(/npy header claims 118 bytes but the file has 30/);
  });

  it('an array above a configured ceiling, naming it', () => {
    const file = encodeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(4) });
    expect(() => decodeNpy(file, { maxBytes: 15, what: 'array "dense/kernel"' })).toThrow(
      /^array "dense\/kernel": npy shape \[4\] of float32 declares 16 bytes, more than the ceiling of 15$/,
    );
    expect(decodeNpy(file, { maxBytes: 16 }).shape).toEqual([4]);
  });
});

describe('decodeNpy memory', () => {
  it("views the caller's bytes when aligned and copies when not", () => {
    const file = encodeNpy({ dtype: 'float64', shape: [2], data: new Float64Array([1, 2]) });
    expect(decodeNpy(file).data.buffer).toBe(file.buffer);
    const shifted = new Uint8Array(file.length + 1).fill(0);
    shifted.set(file, 1);
    const copy = decodeNpy(shifted.subarray(1));
    expect(copy.data.buffer).not.toBe(shifted.buffer);
    expect([...copy.data]).toEqual([1, 2]);
  });
});

describe('encodeNpy refuses', () => {
  it.each([
    [
      'data of the wrong typed array',
      { dtype: 'float32', shape: [1], data: new Float64Array(1) },
      /float32 data must be a Float32Array, got a Float64Array/,
    ],
    [
      'a shape that does not match the data',
      { dtype: 'int32', shape: [2, 2], data: new Int32Array(3) },
      /shape \[2, 2\] holds 4 values but data has 3/,
    ],
    ['a fractional dimension', { dtype: 'uint8', shape: [1.5], data: new Uint8Array(1) }, /not a non-negative integer/],
    [
      'an unknown dtype',
      { dtype: 'float16', shape: [1], data: new Uint16Array(1) },
      /^w: dtype "float16" is not one of float32, float64, int32, int64, uint8, bool/,
    ],
  ])('%s', (_case, array, message) => {
    expect(() => encodeNpy(array as unknown as AnyNdArray, 'w')).toThrow(message);
  });
});
