// Runs anywhere in main: samples of a split rendered as PNG bytes, exactly as the generator yields them to the model (a volume: its middle slice).
import type { DataGenerator } from './data-generator.js';
import { encodePng } from './decode/png-encode.js';
import { describeIntensity } from './intensity.js';
import { sampleIndices } from './shuffle.js';
import type { SkippedSample } from './types.js';

export interface PreviewSample {
  index: number;
  label: number;
  className: string;
  source: string;
  png: Uint8Array;
  height: number;
  width: number;
  channels: number;
  /** The smallest and largest model input value in this sample. */
  range: [number, number];
  /** How values became pixels: the inverse of the generator's normalization, or a min-max stretch where unknown. */
  display: 'denormalized' | 'stretched';
  /** How the image's stored values became model inputs (window, preset, minmax, zscore, v / 65535), where the generator says. */
  intensity?: string;
  /** A 3-D sample: `volume 5 x 8 x 6, middle slice 2 shown`; the PNG is that slice, height x width, and `range` the whole volume's. */
  volume?: string;
}

export interface PreviewOptions {
  n: number;
  seed?: number;
  /** Only these classes (by name). */
  classes?: readonly string[];
  signal?: AbortSignal;
}

/** Candidates drawn per wanted sample when the generator cannot tell a class without decoding. */
const BLIND_DRAWS = 8;

export async function previewSamples(
  generator: DataGenerator,
  options: PreviewOptions,
): Promise<{ samples: PreviewSample[]; skipped: SkippedSample[] }> {
  const wanted = options.classes ? new Set(options.classes.map((name) => classIndex(generator, name))) : null;
  const candidates = pickCandidates(generator, options.n, options.seed ?? 0, wanted);
  const batch = await generator.readSamples(Uint32Array.from(candidates), options.signal);
  const [, ...dims] = batch.shape;
  const [height, width, channels] = dims.slice(-3) as [number, number, number];
  const depth = dims.length === 4 ? dims[0]! : undefined;
  const rowValues = dims.reduce((product, d) => product * d, 1);
  // The slice a volume shows: numpy's middle, n // 2, as the handler's slices: middle picks.
  const shown = depth === undefined ? 0 : Math.floor(depth / 2);
  const planeValues = height * width * channels;
  const toPixel = generator.displayPixel();
  const samples: PreviewSample[] = [];
  for (let row = 0; row < batch.indices.length && samples.length < options.n; row++) {
    const label = batch.labels[row]!;
    if (wanted && !wanted.has(label)) continue;
    const values = batch.x.subarray(row * rowValues, (row + 1) * rowValues);
    const index = batch.indices[row]!;
    const range = valueRange(values);
    const plane = values.subarray(shown * planeValues, (shown + 1) * planeValues);
    const applied = batch.applied?.get(index);
    // A z-score has no [0, 1] scale to undo: stretched, as values of unknown meaning are (a slice by its volume's range).
    const invert = applied?.kind === 'zscore' ? null : toPixel;
    const data = invert ? denormalize(plane, channels, invert) : stretch(plane, range);
    const png = encodePng(displayable(data, width, height, channels));
    samples.push({
      index,
      label,
      className: generator.classNames[label]!,
      source: generator.describeSample(index),
      png,
      height,
      width,
      channels,
      range,
      display: invert ? 'denormalized' : 'stretched',
      ...(applied && { intensity: describeIntensity(applied) }),
      ...(depth !== undefined && { volume: `volume ${depth} x ${height} x ${width}, middle slice ${shown} shown` }),
    });
  }
  return { samples, skipped: batch.skipped };
}

function classIndex(generator: DataGenerator, name: string): number {
  const index = generator.classNames.indexOf(name);
  if (index < 0) throw new Error(`no class "${name}" (classes are: ${generator.classNames.join(', ')})`);
  return index;
}

/** Random indices; with a class filter, drawn among that class where labels are known without decoding. */
function pickCandidates(generator: DataGenerator, n: number, seed: number, wanted: Set<number> | null): number[] {
  if (!wanted) return sampleIndices(generator.sampleCount, n, seed);
  if (generator.labelOf(0) === undefined) return sampleIndices(generator.sampleCount, n * BLIND_DRAWS, seed);
  const matching: number[] = [];
  for (let i = 0; i < generator.sampleCount; i++) if (wanted.has(generator.labelOf(i)!)) matching.push(i);
  return sampleIndices(matching.length, n, seed).map((k) => matching[k]!);
}

function valueRange(values: Float32Array): [number, number] {
  let min = Infinity,
    max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** Gray and RGB show as they are; other channel counts show their first channel in gray. */
function displayable(data: Uint8Array, width: number, height: number, channels: number) {
  if (channels === 1 || channels === 3) return { width, height, channels, data };
  return { width, height, channels: 1, data: data.filter((_, i) => i % channels === 0) };
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function denormalize(values: Float32Array, channels: number, toPixel: (value: number, channel: number) => number): Uint8Array {
  return Uint8Array.from(values, (v, i) => clampByte(toPixel(v, i % channels)));
}

function stretch(values: Float32Array, [min, max]: [number, number]): Uint8Array {
  const scale = max > min ? 255 / (max - min) : 0;
  return Uint8Array.from(values, (v) => clampByte(Math.round((v - min) * scale)));
}
