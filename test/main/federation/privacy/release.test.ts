// Tests (Node, numpy at test time): clipping and noising an update as Flower's DP mods do, checked against numpy running Flower's formulas.
import { describe, expect, it } from 'vitest';
import type { NamedArray } from '../../../../main/engine/weights.js';
import { cryptoRandom, localDpNoiseStd, seededRandom, snappingGrid, standardNormals } from '../../../../main/federation/privacy/noise.js';
import { releaseUpdate, updateNorm } from '../../../../main/federation/privacy/release.js';
import { runNumpy } from '../wire/numpy-helper.js';

const array = (name: string, values: number[], shape = [values.length]): NamedArray => ({
  name,
  shape,
  dtype: 'float32',
  data: Float32Array.from(values),
});

/** Two arrays, as a model's kernel and bias: the update's norm is taken over both together. */
const received = [array('dense/kernel', [0.5, -0.25, 1, 2], [2, 2]), array('dense/bias', [0, 0.125])];
const trained = [array('dense/kernel', [1.5, -0.25, 1, 4], [2, 2]), array('dense/bias', [2, 0.125])];
// The update is (1, 0, 0, 2) and (2, 0): norm 3.

const values = (arrays: readonly NamedArray[]) => arrays.flatMap((a) => [...a.data]);

describe('clipping (fixedclipping_mod, LocalDpMod)', () => {
  it('takes the L2 norm of the whole update, every array flattened together', () => {
    expect(updateNorm(received, trained)).toBe(3);
  });

  it('scales an update longer than the norm down to it, in its own direction, and sends received + update', () => {
    const { weights, scaledDown } = releaseUpdate(received, trained, { clippingNorm: 1.5, noiseStd: null }, cryptoRandom);
    expect(scaledDown).toBe(true);
    // Half the update: (0.5, 0, 0, 1) and (1, 0), all exact in float32.
    expect(values(weights)).toEqual([1, -0.25, 1, 3, 1, 0.125]);
    expect(weights.map((w) => [w.name, w.shape])).toEqual([
      ['dense/kernel', [2, 2]],
      ['dense/bias', [2]],
    ]);
    expect(updateNorm(received, weights)).toBe(1.5);
  });

  it('leaves an update within the norm as trained, bit for bit', () => {
    const { weights, scaledDown } = releaseUpdate(received, trained, { clippingNorm: 3, noiseStd: null }, cryptoRandom);
    expect(scaledDown).toBe(false);
    expect(weights.map((w) => w.data)).toEqual(trained.map((w) => w.data));
  });

  it("matches numpy running Flower's compute_clip_model_update on a random update", () => {
    const random = seededRandom('clip');
    const base = [array('a', [...standardNormals(300, random)]), array('b', [...standardNormals(50, random)])];
    const next = base.map((a) =>
      array(
        a.name,
        [...a.data].map((v, i) => v + 0.01 * standardNormals(1, random)[0]! * (i % 7)),
      ),
    );
    const { weights } = releaseUpdate(base, next, { clippingNorm: 0.05, noiseStd: null }, cryptoRandom);
    const flower = runNumpy(
      `import json, sys
p1 = [np.array(a, dtype=np.float32) for a in json.loads(sys.argv[1])]
p2 = [np.array(a, dtype=np.float32) for a in json.loads(sys.argv[2])]
update = [np.subtract(x, y) for x, y in zip(p1, p2)]
norm = float(np.sqrt(sum(np.linalg.norm(u.flat) ** 2 for u in update)))
scale = min(1, 0.05 / norm)
print(json.dumps([float(v) for a, u in zip(p2, update) for v in (a + u * scale)]))`,
      [JSON.stringify(next.map((a) => [...a.data])), JSON.stringify(base.map((a) => [...a.data]))],
    );
    const expected = JSON.parse(flower) as number[];
    const ours = values(weights);
    expect(ours).toHaveLength(expected.length);
    // Flower works in float32, Tributary in float64 rounded once: they agree to a float32 ulp or two.
    ours.forEach((value, i) => expect(Math.abs(value - expected[i]!)).toBeLessThan(4e-7 * Math.max(1, Math.abs(value))));
    expect(updateNorm(base, weights)).toBeCloseTo(0.05, 6);
  });
});

describe('local-DP noise (LocalDpMod)', () => {
  it("sets its standard deviation by Flower's formula, as numpy computes it", () => {
    const cases = [
      [1, 1, 1e-5],
      [2, 8, 1e-5],
      [0.1, 0.5, 1e-6],
      [4, 4, 0.01],
    ] as const;
    const flower = runNumpy(
      `import json, sys
print(json.dumps([s * np.sqrt(2 * np.log(1.25 / d)) / e for s, e, d in json.loads(sys.argv[1])]))`,
      [JSON.stringify(cases)],
    );
    const expected = JSON.parse(flower) as number[];
    cases.forEach(([s, e, d], i) => expect(localDpNoiseStd(s, e, d)).toBeCloseTo(expected[i]!, 12));
    expect(localDpNoiseStd(1, 1, 1e-5)).toBeCloseTo(4.844805262605389, 12);
  });

  it('adds zero-mean noise of that standard deviation to every value of the clipped update (seeded)', () => {
    const n = 200_000;
    const base = [array('w', new Array<number>(n).fill(0.25))];
    const std = 0.02;
    const { weights } = releaseUpdate(base, base, { clippingNorm: 1, noiseStd: std }, seededRandom('noise'));
    const noise = [...weights[0]!.data].map((v) => v - 0.25);
    const mean = noise.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(noise.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean)).toBeLessThan((5 * std) / Math.sqrt(n));
    expect(Math.abs(sd / std - 1)).toBeLessThan(0.01); // the sample sd's own sd is std/sqrt(2n): 0.16%
    const beyond = (k: number) => noise.filter((v) => Math.abs(v) > k * std).length / n;
    expect(beyond(1)).toBeCloseTo(0.3173, 2);
    expect(beyond(2)).toBeCloseTo(0.0455, 2);
  });

  it('snaps each noised update to a power-of-two grid far finer than the noise', () => {
    const std = 0.3;
    const grid = snappingGrid(std);
    expect(grid).toBe(2 ** -10);
    const base = [array('w', new Array<number>(1000).fill(0))];
    const { weights } = releaseUpdate(base, base, { clippingNorm: 1, noiseStd: std }, seededRandom('grid'));
    for (const value of weights[0]!.data) expect(Number.isInteger(value / grid)).toBe(true);
    // About 770 grid points lie within one sd of 0: a thousand draws hit hundreds of them.
    expect(new Set(weights[0]!.data).size).toBeGreaterThan(500);
  });

  it('draws the same noise from the same seed, and fresh noise from the CSPRNG', () => {
    const draw = (source: Parameters<typeof standardNormals>[1]) => [...standardNormals(8, source)];
    expect(draw(seededRandom('a'))).toEqual(draw(seededRandom('a')));
    expect(draw(seededRandom('a'))).not.toEqual(draw(seededRandom('b')));
    expect(draw(cryptoRandom)).not.toEqual(draw(cryptoRandom));
  });
});
