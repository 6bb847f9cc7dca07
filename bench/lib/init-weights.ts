// Runs in bench:train's Tributary child (Node): the initial weights and the sample order every run of a model starts from, as files the references read too.
import { promises as fsp } from 'node:fs';
import { loadPartyConfig } from '../../main/config/party-config.js';
import { closeSplits } from '../../main/data/data-handler.js';
import { openData } from '../../main/data/handler-loader.js';
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

/**
 * The Fashion-MNIST records of the first `samples` samples Tributary trains on from a config, in its order: each
 * sample's source names its record, as `<file> record N` (Idx) or as the PNG tree's `NNNNN.png` (ImageFolder), and
 * the references train on those records so that every framework sees the same batches. Written as little-endian uint32.
 */
export async function writeTrainOrder(file: string, configFile: string, samples: number): Promise<void> {
  const loaded = await loadPartyConfig(configFile);
  const { splits } = await openData(loaded);
  try {
    const train = splits.train;
    if (!train) throw new Error(`${configFile} has no train split to take an order from`);
    const order = new Uint32Array(samples);
    for (let k = 0, batch = 0; k < samples; batch++) {
      for (const index of train.batchIndices(batch % train.length)) if (k < samples) order[k++] = recordOf(train.describeSample(index));
    }
    await fsp.writeFile(file, Buffer.from(order.buffer));
  } finally {
    await closeSplits(splits);
  }
}

function recordOf(source: string): number {
  const digits = /(\d+)(?:\.png)?$/.exec(source);
  if (!digits) throw new Error(`cannot tell which Fashion-MNIST record ${source} is`);
  return Number(digits[1]);
}
