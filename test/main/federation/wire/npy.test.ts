// Tests (Node + numpy): our .npy files are numpy's byte for byte, numpy's files decode to the right values, bad ones are refused.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireError, decodeNpy, encodeNpy, type AnyNdArray } from '../../../../main/federation/wire/index.js';
import { runNumpy } from './numpy-helper.js';

const ACCEPTED = {
  f32: "np.arange(6, dtype='<f4').reshape(2, 3) / 4",
  f64_0d: 'np.array(3.25)',
  i32_empty: "np.zeros((0,), dtype='<i4')",
  i64: "np.array([[-(2**63), 2**63 - 1], [0, 2**53 + 1]], dtype='<i8')",
  u1: "np.arange(256, dtype='|u1')",
  b1: 'np.array([[True, False, True]])',
  huge_empty: "np.zeros((0, 10**12), dtype='<f4')",
  long_axis_empty: "np.zeros((10**15, 0), dtype='<f8')",
  large: "np.random.default_rng(0).standard_normal((300, 1000)).astype('<f4')",
  four_d: "np.arange(2*3*4*5, dtype='<f4').reshape(2, 3, 4, 5)",
};
const REFUSED = {
  fortran: ["np.asfortranarray(np.arange(6, dtype='<f4').reshape(2, 3))", /Fortran order/],
  object: ["np.array([1, 'a'], dtype=object)", /npy dtype \|O holds Python objects \(a pickle\); refused/],
  big_endian: ["np.arange(3, dtype='>f4')", /npy dtype >f4 is big-endian/],
  float16: ["np.arange(3, dtype='<f2')", /npy dtype <f2 is not supported/],
  complex: ["np.arange(3, dtype='<c8')", /npy dtype <c8 is not supported/],
  structured: ["np.zeros(2, dtype=[('a', '<f4')])", /structured dtypes are not supported/],
} as const;

let dir: string;
const file = (name: string) => readFileSync(join(dir, `${name}.npy`));
const expected: { [name: string]: { dtype: string; shape: number[]; sha256: string } } = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-npy-'));
  const arrays = { ...ACCEPTED, ...Object.fromEntries(Object.entries(REFUSED).map(([name, [expr]]) => [name, expr])) };
  const script = `
import sys, json, os, hashlib
from numpy.lib import format as fmt
out, arrays = sys.argv[1], json.loads(sys.argv[2])
facts = {}
for name, expr in arrays.items():
    a = eval(expr)
    np.save(os.path.join(out, name + '.npy'), a, allow_pickle=True)
    if a.dtype.kind in 'fiub':
        facts[name] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'sha256': hashlib.sha256(a.tobytes()).hexdigest()}
for version in [(2, 0), (3, 0)]:
    with open(os.path.join(out, 'v%d.npy' % version[0]), 'wb') as f:
        fmt.write_array(f, eval(arrays['f32']), version=version)
print(json.dumps(facts))`;
  Object.assign(expected, JSON.parse(runNumpy(script, [dir, JSON.stringify(arrays)])));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hash of the values' bytes (C order, little-endian), compared with numpy's ndarray.tobytes(): exact for every dtype. */
function dataHash(array: AnyNdArray): string {
  return createHash('sha256')
    .update(new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength))
    .digest('hex');
}

describe('reading numpy files', () => {
  it.each(Object.keys(ACCEPTED))("%s decodes to numpy's dtype, shape and values", (name) => {
    const array = decodeNpy(file(name));
    const facts = expected[name]!;
    expect(array.dtype).toBe(facts.dtype);
    expect(array.shape).toEqual(facts.shape);
    expect(dataHash(array)).toBe(facts.sha256);
  });

  it('gives int64 as bigint and bool as 0/1 bytes', () => {
    expect([...decodeNpy(file('i64')).data]).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 0n, 2n ** 53n + 1n]);
    expect(decodeNpy(file('b1'))).toEqual({ dtype: 'bool', shape: [1, 3], data: new Uint8Array([1, 0, 1]) });
  });

  it.each(Object.keys(ACCEPTED))('%s comes back byte for byte when we encode it again', (name) => {
    expect(Buffer.from(encodeNpy(decodeNpy(file(name)))).equals(file(name))).toBe(true);
  });

  it.each(['v2', 'v3'])('reads a %s header', (name) => {
    expect(file(name)[6]).toBe(Number(name[1]));
    const array = decodeNpy(file(name));
    expect(array.shape).toEqual([2, 3]);
    expect([...array.data]).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
  });

  it.each(Object.keys(REFUSED) as (keyof typeof REFUSED)[])('refuses %s with a clear error', (name) => {
    expect(() => decodeNpy(file(name))).toThrow(WireError);
    expect(() => decodeNpy(file(name))).toThrow(REFUSED[name][1]);
  });
});

describe('numpy reading our files', () => {
  const ours: { [name: string]: AnyNdArray } = {
    f32: { dtype: 'float32', shape: [2, 3], data: new Float32Array([0, 0.25, -1.5, 3e38, 1e-45, Number.NaN]) },
    f64_0d: { dtype: 'float64', shape: [], data: new Float64Array([Math.PI]) },
    i32_empty: { dtype: 'int32', shape: [0, 7], data: new Int32Array(0) },
    i64: { dtype: 'int64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n]) },
    u1: { dtype: 'uint8', shape: [2, 2], data: new Uint8Array([0, 1, 254, 255]) },
    b1: { dtype: 'bool', shape: [4], data: new Uint8Array([1, 0, 0, 1]) },
    big: { dtype: 'float32', shape: [1000, 1000], data: new Float32Array(1_000_000).map((_, i) => i / 7) },
    long_axis_empty: { dtype: 'float64', shape: [123456789012345, 0], data: new Float64Array(0) },
  };

  it('loads every dtype with allow_pickle=False, with our shapes and values', () => {
    for (const [name, array] of Object.entries(ours)) writeFileSync(join(dir, `ours_${name}.npy`), encodeNpy(array));
    const script = `
import sys, json, os, hashlib
out = {}
for name in json.loads(sys.argv[2]):
    a = np.load(os.path.join(sys.argv[1], 'ours_' + name + '.npy'), allow_pickle=False)
    out[name] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'sha256': hashlib.sha256(a.tobytes()).hexdigest(), 'c': bool(a.flags.c_contiguous)}
print(json.dumps(out))`;
    const loaded = JSON.parse(runNumpy(script, [dir, JSON.stringify(Object.keys(ours))])) as { [name: string]: unknown };
    for (const [name, array] of Object.entries(ours)) {
      expect(loaded[name], name).toEqual({ dtype: array.dtype, shape: array.shape, sha256: dataHash(array), c: true });
    }
  });
});
