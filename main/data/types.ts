// Runs anywhere in main (plain Node): the shapes that cross between data handlers, generators and their consumers.
import type { AppliedIntensity } from './intensity.js';

/** One batch as a generator yields it: what the model sees, plus where each row came from. */
export interface Batch {
  /** Features, float32, row-major NHWC (a volume's NDHWC): the product of `shape` values. */
  x: Float32Array;
  shape:
    | [n: number, height: number, width: number, channels: number]
    | [n: number, depth: number, height: number, width: number, channels: number];
  /** Integer class index per row. */
  labels: Int32Array;
  /** The same labels one-hot: n * numClasses values. */
  oneHot: Float32Array;
  /** The dataset index of each row, in row order. */
  indices: Uint32Array;
  /** Samples of this batch left out: unreadable (on_bad_file: skip), or holding non-finite values (on_non_finite: skip). */
  skipped: SkippedSample[];
  /** By dataset index: the window or scaling each full-depth row got (for previews); absent when none did. */
  applied?: ReadonlyMap<number, AppliedIntensity>;
}

export interface SkippedSample {
  index: number;
  source: string;
  reason: string;
}

export interface SampleShape {
  /** Set for a volume (a 3-D sample, slices along the depth): batches are then [n, depth, height, width, channels]. */
  depth?: number;
  height: number;
  width: number;
  channels: number;
}

/** What one pass over a generator did: every skipped sample is counted, none silently. */
export interface EpochSummary {
  epoch: number;
  batches: number;
  samples: number;
  skipped: number;
  /** The first skipped samples, with reasons (capped so a bad disk cannot grow memory). */
  skippedSamples: SkippedSample[];
}
