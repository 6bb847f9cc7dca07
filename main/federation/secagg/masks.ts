// Runs anywhere: Flower's pseudo_rand_gen: masks drawn by numpy's legacy RandomState(seed32).randint(0, mod_range - 1, dtype=int64).
import { SecAggError } from './errors.js';
import { Mt19937 } from './mt19937.js';
import type { IntVector } from './modular.js';

const TWO_32 = 2 ** 32;

/** Flower's seed: the XOR of the seed's little-endian 32-bit words (so a 32-byte seed or a 44-byte Fernet key). */
export function seed32(seed: Uint8Array): number {
  if (seed.length % 4 !== 0) throw new SecAggError(`mask seed of ${seed.length} bytes is not whole 32-bit words`);
  const view = new DataView(seed.buffer, seed.byteOffset, seed.length);
  let value = 0;
  for (let offset = 0; offset < seed.length; offset += 4) value ^= view.getUint32(offset, true);
  return value >>> 0;
}

/**
 * Flower's pseudo_rand_gen applied in place: one mask per vector, drawn in order from one generator (each element in
 * [0, modRange - 2] as numpy draws them), added (sign 1) or subtracted (sign -1) mod modRange as it is drawn. The
 * vectors must already lie in [0, modRange). Drawing into the vectors, rather than into mask arrays added afterwards,
 * saves a 5M-parameter model 40 MB of allocation and one pass per mask: a party applies one mask per neighbour.
 */
export function applyPseudoRandMasks(vectors: readonly IntVector[], seed: Uint8Array, modRange: number, sign: 1 | -1): void {
  const draw = boundedDraw(new Mt19937(seed32(seed)), modRange);
  for (const { data } of vectors) {
    for (let i = 0; i < data.length; i++) {
      const value = data[i]! + sign * draw();
      data[i] = value >= modRange ? value - modRange : value < 0 ? value + modRange : value;
    }
  }
}

/**
 * numpy's random_bounded_uint64_fill with use_masked (the legacy path) for off = 0, rng = modRange - 2: nothing is
 * drawn when rng is 0; up to 2^32 - 1 each value is one 32-bit output, masked to rng's bit length and drawn again
 * while above rng (taken whole when rng is exactly 2^32 - 1); above that each value is a 64-bit output made of two
 * 32-bit ones, high word first, masked and rejected the same way.
 */
export function boundedDraw(generator: Mt19937, modRange: number): () => number {
  if (!Number.isSafeInteger(modRange) || modRange < 2 || modRange > 2 ** 52)
    throw new SecAggError(`mod_range ${modRange} is not an integer within 2..2^52`);
  const rng = modRange - 2;
  if (rng === 0) return () => 0;
  if (rng === TWO_32 - 1) return () => generator.next32();
  const mask = bitMask(rng);
  if (rng < TWO_32) {
    return () => {
      for (;;) {
        const value = (generator.next32() & mask) >>> 0;
        if (value <= rng) return value;
      }
    };
  }
  const highMask = Math.floor(mask / TWO_32);
  return () => {
    for (;;) {
      const high = generator.next32() & highMask;
      const value = high * TWO_32 + generator.next32();
      if (value <= rng) return value;
    }
  };
}

/** The smallest all-ones mask covering `max` (numpy's gen_mask). */
function bitMask(max: number): number {
  let mask = 1;
  while (mask < max) mask = mask * 2 + 1;
  return mask;
}
