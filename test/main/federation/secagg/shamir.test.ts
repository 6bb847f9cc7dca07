// Tests (Node): Shamir's secret sharing against PyCryptodome's Shamir and Flower's chunked wrapping of it.
import { describe, expect, it } from 'vitest';

import { combineChunk, combineShares, createShares, splitChunk } from '../../../../main/federation/secagg/shamir.js';
import { hex, replay, toHex, vectors } from './vectors.js';

describe("PyCryptodome's Shamir, one 16-byte chunk", () => {
  it('makes the same shares from the same random coefficients', () => {
    for (const c of vectors.shamir.chunks) {
      const shares = splitChunk(c.threshold, c.shares.length, hex(c.secret), replay(c.random));
      expect(shares.map(toHex)).toEqual(c.shares.map(([, share]) => share));
    }
  });

  it('combines its shares, any threshold of them, to the secret it combined', () => {
    for (const c of vectors.shamir.chunks) {
      const all = c.shares.map(([index, share]) => [index, hex(share)] as const);
      expect(toHex(combineChunk(all.slice(0, c.threshold)))).toBe(c.secret);
      expect(toHex(combineChunk(all.slice(all.length - c.threshold)))).toBe(c.combined_last);
      expect(toHex(combineChunk(all))).toBe(c.secret);
    }
  });
});

describe("Flower's create_shares / combine_shares", () => {
  it('makes byte-identical shares (index, then one share per chunk) and combines them back', () => {
    for (const c of vectors.shamir.wrapped) {
      const shares = createShares(hex(c.secret), c.threshold, c.num, replay(c.random));
      expect(shares.map(toHex)).toEqual(c.shares);
      expect(toHex(combineShares(c.shares.slice(c.num - c.threshold).map(hex)))).toBe(c.secret);
    }
  });

  it('round-trips a fresh secret, and fails to rebuild it from fewer than threshold shares', () => {
    const secret = hex('5a'.repeat(37));
    const shares = createShares(secret, 3, 5);
    expect(toHex(combineShares([shares[4]!, shares[0]!, shares[2]!]))).toBe(toHex(secret));
    let rebuilt: string | undefined;
    try {
      rebuilt = toHex(combineShares(shares.slice(0, 2)));
    } catch {
      rebuilt = undefined;
    }
    expect(rebuilt).not.toBe(toHex(secret));
  });

  it('refuses shares of mixed length, duplicate indexes and bad parameters', () => {
    const shares = createShares(hex('01'.repeat(20)), 2, 3);
    expect(() => combineShares([shares[0]!, shares[1]!.subarray(0, 20)])).toThrow(/differ in length/);
    expect(() => combineShares([shares[0]!, shares[0]!])).toThrow(/duplicate/);
    expect(() => combineShares([new Uint8Array(7)])).toThrow(/not a 4-byte index/);
    expect(() => createShares(new Uint8Array(1), 4, 3)).toThrow(/threshold 4 is not within 1..3/);
  });
});
