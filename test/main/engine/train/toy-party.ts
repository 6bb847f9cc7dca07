// Test helper (Node): a small learnable ImageFolder dataset on disk with its party.yaml: each class is a bright band in its own place.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { encodePng } from '../../../../main/data/decode/png-encode.js';

export const TOY_CLASSES = ['left', 'middle', 'right'];

export interface ToyParty {
  configFile: string;
  dir: string;
  trainSamples: number;
  testSamples: number;
}

/**
 * `model` and `training`, when given, are the config's sections of those names, as YAML flow mappings. size x size gray images:
 * class c lights a band of columns in the c-th third of the image over a noisy dark background, so a few epochs of an MLP or
 * a small CNN tell the classes apart, on held-out images too.
 */
export async function toyParty(
  dir: string,
  options: { perClass?: number; testPerClass?: number; size?: number; batchSize?: number; model?: string; training?: string } = {},
): Promise<ToyParty> {
  const { perClass = 16, testPerClass = 6, size = 12, batchSize = 8, model, training } = options;
  let seed = 1;
  for (const [split, count] of [
    ['train', perClass],
    ['test', testPerClass],
  ] as const) {
    for (const [c, name] of TOY_CLASSES.entries()) {
      await mkdir(path.join(dir, split, name), { recursive: true });
      for (let k = 0; k < count; k++) await writeFile(path.join(dir, split, name, `${k}.png`), bandPng(size, c, seed++));
    }
  }
  const configFile = path.join(dir, 'party.yaml');
  await writeFile(
    configFile,
    [
      'data:',
      '  name: ImageFolder',
      '  info:',
      '    train: train',
      '    test: test',
      `    class_names: [${TOY_CLASSES.join(', ')}]`,
      '    color_mode: grayscale',
      `    batch_size: ${batchSize}`,
      '    workers: 1',
      ...(model === undefined ? [] : [`model: ${model}`]),
      ...(training === undefined ? [] : [`training: ${training}`]),
      '',
    ].join('\n'),
  );
  return { configFile, dir, trainSamples: perClass * TOY_CLASSES.length, testSamples: testPerClass * TOY_CLASSES.length };
}

function bandPng(size: number, band: number, seed: number): Buffer {
  const third = size / TOY_CLASSES.length;
  const data = new Uint8Array(size * size);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff; // a tiny LCG: deterministic noise per image
    const column = i % size;
    const lit = column >= band * third && column < (band + 1) * third;
    data[i] = (lit ? 170 : 0) + (state % 80);
  }
  return encodePng({ width: size, height: size, channels: 1, data });
}
