// Runs in bench:train's Tributary child (Node): the initial weights every run of a model starts from, as a file the Keras reference reads too.
import { promises as fsp } from 'node:fs';
import type { NamedArray, WeightSlot } from '../../main/engine/weights.js';

/**
 * `<base>.json` lists each weight's name and shape in order; `<base>.f32` holds their values one after another,
 * little-endian float32 (what numpy's fromfile reads). Written by hand: two plain files that numpy and Node both read
 * without a library, rather than a format only one side has a reader for.
 */
export async function writeInitWeights(base: string, arrays: readonly NamedArray[]): Promise<void> {
  const manifest: WeightSlot[] = arrays.map(({ name, shape }) => ({ name, shape }));
  const bytes = Buffer.concat(arrays.map(({ data }) => Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  await fsp.writeFile(`${base}.f32`, bytes);
  await fsp.writeFile(`${base}.json`, JSON.stringify(manifest));
}

/** The weights writeInitWeights wrote; a file whose size does not match its manifest is an error naming it. */
export async function readInitWeights(base: string): Promise<NamedArray[]> {
  const manifest = JSON.parse(await fsp.readFile(`${base}.json`, 'utf8')) as WeightSlot[];
  const bytes = await fsp.readFile(`${base}.f32`);
  const sizes = manifest.map(({ shape }) => shape.reduce((n, d) => n * d, 1));
  const expected = sizes.reduce((n, s) => n + s, 0) * 4;
  if (bytes.byteLength !== expected) throw new Error(`${base}.f32: ${bytes.byteLength} bytes, but ${base}.json describes ${expected}`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let offset = 0;
  return manifest.map(({ name, shape }, i) => {
    const data = all.slice(offset, offset + sizes[i]!);
    offset += sizes[i]!;
    return { name, shape: [...shape], dtype: 'float32', data };
  });
}
