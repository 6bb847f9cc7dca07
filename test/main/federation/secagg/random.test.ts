// Tests (Node): MT19937, numpy's bounded randint stream, Flower's mask seeds and quantisation, element for element against numpy.
import { describe, expect, it } from 'vitest';

import { applyPseudoRandMasks, boundedDraw, seed32 } from '../../../../main/federation/secagg/masks.js';
import { Mt19937 } from '../../../../main/federation/secagg/mt19937.js';
import { dequantize, quantize } from '../../../../main/federation/secagg/quantization.js';
import { hex, vectors } from './vectors.js';

describe("numpy's legacy RandomState", () => {
  it('draws randint(0, mod_range - 1, dtype=int64) exactly, for 32-bit, masked, rejected, empty and 64-bit ranges', () => {
    for (const s of vectors.mt19937.streams) {
      const draw = boundedDraw(new Mt19937(s.seed), s.mod_range);
      expect(Array.from({ length: s.values.length }, draw), `seed ${s.seed} mod_range ${s.mod_range}`).toEqual(s.values);
    }
  });

  it('draws random_sample doubles exactly', () => {
    for (const d of vectors.mt19937.doubles) {
      const generator = new Mt19937(d.seed);
      expect(Array.from({ length: d.values.length }, () => generator.nextDouble())).toEqual(d.values);
    }
  });

  it("reproduces Flower's pseudo_rand_gen: the seed's XORed words, one generator for every shape in turn", () => {
    for (const g of vectors.mt19937.pseudo_rand_gen) {
      expect(seed32(hex(g.seed))).toBe(g.seed32);
      const masks = g.shapes.map((shape) => ({ shape, data: new Float64Array(shape.reduce((product, size) => product * size, 1)) }));
      applyPseudoRandMasks(masks, hex(g.seed), 2 ** 32, 1);
      expect(masks.map((mask) => Array.from(mask.data))).toEqual(g.masks);
      expect(masks.map((mask) => mask.shape)).toEqual(g.shapes);
    }
  });

  it('refuses a seed that is not whole words and a mod_range it cannot keep exact', () => {
    expect(() => seed32(new Uint8Array(5))).toThrow(/not whole 32-bit words/);
    expect(() => boundedDraw(new Mt19937(1), 2 ** 53)).toThrow(/mod_range/);
    expect(() => boundedDraw(new Mt19937(1), 1)).toThrow(/mod_range/);
  });
});

describe("Flower's quantisation", () => {
  const { clipping_range: clip, target_range: target } = vectors.quantize;

  it('quantises float32 and float64 weights exactly as numpy does, given the same uniform draws', () => {
    for (const c of vectors.quantize.cases) {
      const generator = new Mt19937(c.uniform_seed);
      const Array32or64 = c.dtype === 'float32' ? Float32Array : Float64Array;
      const quantized = c.arrays.map((a) =>
        quantize({ shape: a.shape, data: Array32or64.from(a.values) }, c.factor, clip, target, () => generator.nextDouble()),
      );
      expect(quantized.map((q) => Array.from(q.data))).toEqual(c.quantized);
    }
  });

  it('dequantises back within one quantisation step', () => {
    const weights = Float32Array.from([-9, -8, -1.25, 0, 0.5, 7.99, 12]);
    const q = quantize({ shape: [7], data: weights }, 1, clip, target, Math.random);
    const back = dequantize(q, clip, target);
    const step = (2 * clip) / target;
    back.forEach((value, i) => expect(Math.abs(value - Math.min(Math.max(weights[i]!, -clip), clip))).toBeLessThanOrEqual(step));
  });
});
