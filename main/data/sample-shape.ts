// Runs anywhere in main: a sample's dimensions (an image's [h, w, c], a volume's [d, h, w, c]), their size, and how messages write them.
import type { SampleShape } from './types.js';

/** One sample's dimensions without the batch: [height, width, channels], or [depth, height, width, channels] for a volume. */
export function sampleDims({ depth, height, width, channels }: SampleShape): number[] {
  return depth === undefined ? [height, width, channels] : [depth, height, width, channels];
}

/** The values in one sample. */
export function sampleValues(shape: SampleShape): number {
  return sampleDims(shape).reduce((product, d) => product * d, 1);
}

/** `28x28x1`, or `16x32x32x1` for a volume; `names` adds what each number is. */
export function describeShape(shape: SampleShape, names = false): string {
  const dims = sampleDims(shape).join('x');
  if (!names) return dims;
  return `${dims} (${shape.depth === undefined ? '' : 'depth x '}height x width x channels)`;
}
