// Tests (plain Node): dealing a training set out to parties, IID or skewed by label: every sample once, sizes and class mixes as described.
import { describe, expect, it } from 'vitest';
import { classCounts, splitSamples } from '../../../../main/federation/local/split.js';

/** 100 samples of each of 10 classes, class-sorted as the sample's folders are. */
const labels = Uint8Array.from({ length: 1000 }, (_, i) => Math.floor(i / 100));

describe('splitSamples', () => {
  it('IID: every sample goes to exactly one party, sizes within one, every class at every party', () => {
    const { parts, description } = splitSamples(labels, { parties: 3, nonIid: false, seed: 7, classes: 10 });
    expect(parts.map((part) => part.length)).toEqual([334, 333, 333]);
    expect(parts.flat().sort((a, b) => a - b)).toEqual([...labels.keys()]);
    for (const part of parts) expect(Math.min(...classCounts(labels, part, 10))).toBeGreaterThan(15);
    expect(description).toContain('IID');
    expect(splitSamples(labels, { parties: 3, nonIid: false, seed: 7, classes: 10 }).parts).toEqual(parts); // the seed decides
  });

  it('non-IID: each class sends 80 % to its home party, so a party holds mostly its own 3 or 4 classes', () => {
    const { parts, description } = splitSamples(labels, { parties: 3, nonIid: true, seed: 0, classes: 10 });
    expect(parts.flat().sort((a, b) => a - b)).toEqual([...labels.keys()]);
    expect(parts.map((part) => classCounts(labels, part, 10))).toEqual([
      [80, 80, 80, 80, 10, 10, 10, 10, 10, 10],
      [10, 10, 10, 10, 80, 80, 80, 10, 10, 10],
      [10, 10, 10, 10, 10, 10, 10, 80, 80, 80],
    ]);
    expect(description).toContain('party 1: classes 0-3; party 2: classes 4-6; party 3: classes 7-9');
  });
});
