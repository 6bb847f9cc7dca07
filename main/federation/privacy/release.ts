// Runs in the party (plain Node): what a trained update becomes before it leaves: clipped to an L2 norm, and noised, as Flower's DP mods do it.
import type { NamedArray } from '../../engine/weights.js';
import { snappingGrid, standardNormals, type RandomSource } from './noise.js';

export interface ReleasePlan {
  /** Scale the whole update (trained minus received, all arrays as one vector) down to this L2 norm; null: no clipping. */
  clippingNorm: number | null;
  /** Gaussian noise of this standard deviation on every value of the clipped update; null: none. */
  noiseStd: number | null;
}

export interface Released {
  weights: NamedArray[];
  /** The update was longer than the clipping norm and was scaled down. */
  scaledDown: boolean;
}

/** Noise is drawn in slices of this many values, so a large model never needs its whole noise in memory at once. */
const NOISE_SLICE = 1 << 16;

/**
 * Flower's compute_clip_model_update (FlatClip, arXiv:1710.06963): update = trained - received; its L2 norm taken over
 * every array flattened together; scaled by min(1, clippingNorm / norm); sent as received + update. LocalDpMod then
 * adds N(0, std^2) to every value sent, which is the same as adding it to the update, as here (in float64, snapped,
 * before the public received weights are added back). With neither step the trained weights leave unchanged.
 */
export function releaseUpdate(
  received: readonly NamedArray[],
  trained: readonly NamedArray[],
  plan: ReleasePlan,
  source: RandomSource,
): Released {
  if (received.length !== trained.length) throw new Error(`${trained.length} trained arrays for ${received.length} received`);
  const norm = updateNorm(received, trained);
  const scale = plan.clippingNorm !== null && norm > plan.clippingNorm ? plan.clippingNorm / norm : 1;
  if (scale === 1 && plan.noiseStd === null) return { weights: [...trained], scaledDown: false };
  const weights = trained.map((array, index) => releaseArray(received[index]!, array, scale, plan.noiseStd, source));
  return { weights, scaledDown: scale < 1 };
}

/** The L2 norm of the update, all arrays as one vector (Flower's get_norm), in float64. */
export function updateNorm(received: readonly NamedArray[], trained: readonly NamedArray[]): number {
  let sum = 0;
  trained.forEach((array, index) => {
    const base = received[index]!.data;
    if (base.length !== array.data.length) throw new Error(`array "${array.name}": ${array.data.length} values, received ${base.length}`);
    for (let i = 0; i < array.data.length; i++) {
      const d = array.data[i]! - base[i]!;
      sum += d * d;
    }
  });
  return Math.sqrt(sum);
}

function releaseArray(received: NamedArray, trained: NamedArray, scale: number, noiseStd: number | null, source: RandomSource): NamedArray {
  const base = received.data;
  const out = new Float32Array(trained.data.length);
  const grid = noiseStd === null ? 0 : snappingGrid(noiseStd);
  for (let start = 0; start < out.length; start += NOISE_SLICE) {
    const end = Math.min(out.length, start + NOISE_SLICE);
    const noise = noiseStd === null ? null : standardNormals(end - start, source);
    for (let i = start; i < end; i++) {
      const update = scale * (trained.data[i]! - base[i]!);
      out[i] = base[i]! + (noise ? Math.round((update + noiseStd! * noise[i - start]!) / grid) * grid : update);
    }
  }
  return { name: trained.name, shape: [...trained.shape], dtype: 'float32', data: out };
}
