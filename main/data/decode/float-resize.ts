// Runs in a decode worker thread (or inline): resizes float32 images without rounding, as Pillow resizes mode 'F' images.
/*
 * Our own resampler because sharp has no float pass-through: raw float32 input goes through libvips' colour
 * interpretation (one band is read as grey16 or b-w, converted towards sRGB, clipped and rescaled), so Hounsfield
 * values come back mangled; no well-kept JS library resizes float arrays with Pillow's kernels either. This is
 * Pillow's separable convolution (libImaging/Resample.c, ImagingResample): per output pixel, the kernel centred on
 * (x + 0.5) * scale, its support widened by the scale when shrinking (antialiasing), weights normalised to sum 1,
 * horizontal pass then vertical; nearest picks source pixels as Pillow's affine scaling does. Checked against
 * Pillow's mode 'F' resize in test/main/data/float-path.test.ts.
 */

export type Interpolation = 'nearest' | 'bilinear' | 'bicubic' | 'lanczos3';

interface Filter {
  support: number;
  weight: (x: number) => number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Pillow's filters: triangle, Keys' cubic with a = -0.5, and Lanczos with 3 lobes. */
const FILTERS: Record<Exclude<Interpolation, 'nearest'>, Filter> = {
  bilinear: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos3: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

/** For each output position: the first source index and the normalised weights of the sources from there. */
interface Coefficients {
  first: Int32Array;
  count: Int32Array;
  /** `ksize` weights per output position. */
  weights: Float64Array;
  ksize: number;
}

function coefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let total = 0;
    const ss = 1 / filterScale; // multiplied, not divided, as Pillow does: the last bit of each weight agrees
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * ss);
      weights[xx * ksize + x] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < xmax; x++) weights[xx * ksize + x]! /= total;
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { first, count, weights, ksize };
}

/** Along x: each of `lines` rows of `inSize` pixels (`channels` interleaved) to `outSize` pixels. Sums in float64, as Pillow. */
function horizontal(src: Float32Array, lines: number, inSize: number, outSize: number, channels: number, k: Coefficients): Float32Array {
  const out = new Float32Array(lines * outSize * channels);
  const { first, count, weights, ksize } = k;
  if (channels === 1) {
    horizontalGray(src, lines, inSize, outSize, k, out);
    return out;
  }
  for (let line = 0; line < lines; line++) {
    const rowStart = line * inSize * channels;
    for (let o = 0; o < outSize; o++) {
      const base = o * ksize;
      const from = rowStart + first[o]! * channels;
      const taps = count[o]!;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let t = 0, at = from + c; t < taps; t++, at += channels) sum += src[at]! * weights[base + t]!;
        out[(line * outSize + o) * channels + c] = sum;
      }
    }
  }
  return out;
}

/** The one-channel case (every CT, MR and X-ray frame) without the channel loop: the same sums in the same order. */
function horizontalGray(src: Float32Array, lines: number, inSize: number, outSize: number, k: Coefficients, out: Float32Array): void {
  const { first, count, weights, ksize } = k;
  for (let line = 0, rowStart = 0, to = 0; line < lines; line++, rowStart += inSize) {
    for (let o = 0; o < outSize; o++, to++) {
      const base = o * ksize;
      const from = rowStart + first[o]!;
      const taps = count[o]!;
      let sum = 0;
      for (let t = 0; t < taps; t++) sum += src[from + t]! * weights[base + t]!;
      out[to] = sum;
    }
  }
}

/**
 * Along y: whole rows at a time (rowLength values each), each output row the weighted sum of its source rows,
 * added tap by tap into a float64 row: the same sums in the same order as Pillow's, read row-wise for the cache.
 */
function vertical(src: Float32Array, rowLength: number, outSize: number, k: Coefficients): Float32Array {
  const out = new Float32Array(outSize * rowLength);
  const sums = new Float64Array(rowLength);
  const { first, count, weights, ksize } = k;
  for (let o = 0; o < outSize; o++) {
    sums.fill(0);
    for (let t = 0; t < count[o]!; t++) {
      const w = weights[o * ksize + t]!;
      const row = (first[o]! + t) * rowLength;
      for (let i = 0; i < rowLength; i++) sums[i]! += src[row + i]! * w;
    }
    out.set(sums, o * rowLength);
  }
  return out;
}

/**
 * Pillow's source positions for nearest (Geometry.c, ImagingScaleAffine): scale / 2, then scale added once per output
 * pixel, truncated. Added up, not multiplied: the accumulated rounding decides which source pixel a tie picks.
 */
function nearestPositions(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const positions = new Int32Array(outSize);
  let at = scale * 0.5;
  for (let o = 0; o < outSize; o++, at += scale) positions[o] = Math.min(inSize - 1, Math.trunc(at));
  return positions;
}

function nearest(src: Float32Array, width: number, height: number, channels: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH * channels);
  const xs = nearestPositions(width, outW);
  const ys = nearestPositions(height, outH);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      for (let c = 0; c < channels; c++) out[(y * outW + x) * channels + c] = src[(ys[y]! * width + xs[x]!) * channels + c]!;
    }
  }
  return out;
}

/** Resize interleaved float32 pixels; an axis whose size does not change is not filtered (as in Pillow). */
export function resizeFloat(
  src: Float32Array,
  from: { width: number; height: number; channels: number },
  to: { width: number; height: number },
  interpolation: Interpolation,
): Float32Array {
  const { width, height, channels } = from;
  if (to.width === width && to.height === height) return src;
  if (interpolation === 'nearest') return nearest(src, width, height, channels, to.width, to.height);
  const filter = FILTERS[interpolation];
  let data = src;
  if (to.width !== width) data = horizontal(data, height, width, to.width, channels, coefficients(width, to.width, filter));
  if (to.height !== height) data = vertical(data, to.width * channels, to.height, coefficients(height, to.height, filter));
  return data;
}
