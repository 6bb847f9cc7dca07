// Runs in Node: Shamir's secret sharing as Flower does it: PyCryptodome's Shamir over GF(2^128) per 16-byte chunk of
// the PKCS7-padded secret, each share being a 4-byte little-endian index followed by one 16-byte share per chunk.
import { randomBytes as cryptoRandomBytes } from 'node:crypto';

import { SecAggError } from './errors.js';
import { elementFromBytes, elementToBytes, gfInverse, gfMultiply } from './gf128.js';

const CHUNK = 16;
const INDEX_BYTES = 4;
/** Larger than any secret SecAgg+ shares (a 32-byte seed, a ~300-byte PEM key). */
export const MAX_SECRET_BYTES = 4096;
/** Shares per secret: one per neighbour, bounded like the number of parties. */
export const MAX_SHARES = 10_000;

export type RandomBytes = (count: number) => Uint8Array;

/**
 * PyCryptodome's Shamir.split(k, n, chunk, ssss=False): k - 1 random coefficients drawn in order, then the secret as
 * the constant term, evaluated by Horner's method at x = 1..n.
 */
export function splitChunk(threshold: number, count: number, chunk: Uint8Array, randomBytes: RandomBytes): Uint8Array[] {
  const coefficients = Array.from({ length: threshold - 1 }, () => elementFromBytes(randomBytes(CHUNK)));
  coefficients.push(elementFromBytes(chunk));
  return Array.from({ length: count }, (_, i) => {
    const x = BigInt(i + 1);
    let share = 0n;
    for (const coefficient of coefficients) share = gfMultiply(x, share) ^ coefficient;
    return elementToBytes(share);
  });
}

/** PyCryptodome's Shamir.combine(shares, ssss=False): the Lagrange polynomial through every share, at zero. */
export function combineChunk(shares: readonly (readonly [number, Uint8Array])[]): Uint8Array {
  const points = shares.map(([index, share]) => [BigInt(index), elementFromBytes(share)] as const);
  let secret = 0n;
  for (const [j, [xj, yj]] of points.entries()) {
    let numerator = 1n;
    let denominator = 1n;
    for (const [m, [xm]] of points.entries()) {
      if (m === j) continue;
      numerator = gfMultiply(numerator, xm);
      denominator = gfMultiply(denominator, xj ^ xm);
    }
    secret ^= gfMultiply(gfMultiply(yj, numerator), gfInverse(denominator));
  }
  return elementToBytes(secret);
}

/** Flower's create_shares: `count` shares of `secret`, any `threshold` of which rebuild it. */
export function createShares(
  secret: Uint8Array,
  threshold: number,
  count: number,
  randomBytes: RandomBytes = cryptoRandomBytes,
): Uint8Array[] {
  if (secret.length > MAX_SECRET_BYTES)
    throw new SecAggError(`Shamir: a secret of ${secret.length} bytes is larger than ${MAX_SECRET_BYTES}`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARES)
    throw new SecAggError(`Shamir: ${count} shares is not within 1..${MAX_SHARES}`);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > count)
    throw new SecAggError(`Shamir: threshold ${threshold} is not within 1..${count} shares`);
  const padded = pkcs7Pad(secret);
  const shares = Array.from({ length: count }, (_, i) => {
    const share = new Uint8Array(INDEX_BYTES + padded.length);
    new DataView(share.buffer).setUint32(0, i + 1, true);
    return share;
  });
  for (let offset = 0; offset < padded.length; offset += CHUNK) {
    const chunkShares = splitChunk(threshold, count, padded.subarray(offset, offset + CHUNK), randomBytes);
    chunkShares.forEach((chunkShare, i) => shares[i]!.set(chunkShare, INDEX_BYTES + offset));
  }
  return shares;
}

/** Flower's combine_shares: the secret from at least `threshold` shares; shares that do not fit are refused. */
export function combineShares(shares: readonly Uint8Array[]): Uint8Array {
  const length = shares[0]?.length ?? 0;
  if (length < INDEX_BYTES + CHUNK || (length - INDEX_BYTES) % CHUNK !== 0 || length > INDEX_BYTES + MAX_SECRET_BYTES + CHUNK)
    throw new SecAggError(`Shamir: a share of ${length} bytes is not a 4-byte index and whole 16-byte chunks`);
  if (shares.some((share) => share.length !== length)) throw new SecAggError('Shamir: shares of one secret differ in length');
  const indexes = shares.map((share) => new DataView(share.buffer, share.byteOffset, INDEX_BYTES).getUint32(0, true));
  if (new Set(indexes).size !== indexes.length || indexes.includes(0)) throw new SecAggError('Shamir: duplicate or zero share index');
  const padded = new Uint8Array(length - INDEX_BYTES);
  for (let offset = 0; offset < padded.length; offset += CHUNK) {
    const start = INDEX_BYTES + offset;
    padded.set(combineChunk(shares.map((share, i) => [indexes[i]!, share.subarray(start, start + CHUNK)] as const)), offset);
  }
  return pkcs7Unpad(padded);
}

function pkcs7Pad(data: Uint8Array): Uint8Array {
  const padding = CHUNK - (data.length % CHUNK);
  const padded = new Uint8Array(data.length + padding).fill(padding);
  padded.set(data);
  return padded;
}

function pkcs7Unpad(padded: Uint8Array): Uint8Array {
  const padding = padded[padded.length - 1]!;
  const valid = padding >= 1 && padding <= CHUNK && padded.subarray(padded.length - padding).every((byte) => byte === padding);
  if (!valid) throw new SecAggError('Shamir: failed to combine shares (bad padding: too few or wrong shares)');
  return padded.slice(0, padded.length - padding);
}
