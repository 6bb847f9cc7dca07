// Runs anywhere: arithmetic in GF(2^128) exactly as PyCryptodome's SecretSharing._Element does it.
// Written here because no npm library shares PyCryptodome's field and byte order: modulus x^128 + x^7 + x^2 + x + 1,
// an element read from 16 bytes as a big-endian integer whose least significant bit is the constant term.

const IRREDUCIBLE = (1n << 128n) | 0x87n;
const TOP = 1n << 128n;

/** 16 bytes, big-endian, as PyCryptodome's bytes_to_long. */
export function elementFromBytes(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}

/** The element as 16 big-endian bytes (long_to_bytes(value, 16)). */
export function elementToBytes(value: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(value.toString(16).padStart(32, '0'), 'hex'));
}

/** a * b reduced by the field's polynomial (shift-and-add, reducing each time bit 128 is set). */
export function gfMultiply(a: bigint, b: bigint): bigint {
  let product = 0n;
  let shifted = a;
  for (let rest = b; rest !== 0n; rest >>= 1n) {
    if (rest & 1n) product ^= shifted;
    shifted <<= 1n;
    if (shifted & TOP) shifted ^= IRREDUCIBLE;
  }
  return product;
}

/** The multiplicative inverse by the extended Euclidean algorithm on GF(2) polynomials, as PyCryptodome computes it. */
export function gfInverse(value: bigint): bigint {
  if (value === 0n) throw new RangeError('GF(2^128): zero has no inverse');
  let [r0, r1] = [value, IRREDUCIBLE];
  let [s0, s1] = [1n, 0n];
  while (r1 > 0n) {
    const quotient = polynomialQuotient(r0, r1);
    [r0, r1] = [r1, r0 ^ carrylessMultiply(quotient, r1)];
    [s0, s1] = [s1, s0 ^ carrylessMultiply(quotient, s1)];
  }
  return s0;
}

function carrylessMultiply(a: bigint, b: bigint): bigint {
  let product = 0n;
  let shifted = a;
  for (let rest = b; rest !== 0n; rest >>= 1n) {
    if (rest & 1n) product ^= shifted;
    shifted <<= 1n;
  }
  return product;
}

function polynomialQuotient(dividend: bigint, divisor: bigint): bigint {
  if (dividend < divisor) return 0n;
  const divisorDegree = degree(divisor);
  let quotient = 0n;
  let remainder = dividend;
  for (let d = degree(remainder); d >= divisorDegree; d = degree(remainder)) {
    const shift = BigInt(d - divisorDegree);
    quotient ^= 1n << shift;
    remainder ^= divisor << shift;
  }
  return quotient;
}

/** Degree of a GF(2) polynomial; -1 for zero. */
function degree(value: bigint): number {
  return value === 0n ? -1 : value.toString(2).length - 1;
}
