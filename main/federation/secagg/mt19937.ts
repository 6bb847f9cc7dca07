// Runs anywhere: MT19937 as numpy's legacy RandomState runs it (seeded from one 32-bit integer), and its doubles.
// Written here (25 lines) rather than taken from npm because what must match is numpy's seeding and draw order,
// checked element for element against numpy in test/fixtures/secagg-vectors.json.

const N = 624;
const M = 397;
const UPPER = 0x80000000;
const LOWER = 0x7fffffff;
const MATRIX_A = 0x9908b0df;

export class Mt19937 {
  private readonly key = new Uint32Array(N);
  private pos = N;

  /** numpy's mt19937_seed (Matsumoto's init_genrand), which RandomState(seed) uses for an integer seed. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`MT19937 seed ${seed} is not within 0..2^32-1`);
    let value = seed;
    for (let i = 0; i < N; i++) {
      this.key[i] = value;
      value = (Math.imul(1812433253, value ^ (value >>> 30)) + i + 1) >>> 0;
    }
  }

  /** The next tempered 32-bit output, as an unsigned number. */
  next32(): number {
    if (this.pos >= N) this.twist();
    let y = this.key[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's legacy random_sample: 53 bits from two outputs (27 + 26), in [0, 1). */
  nextDouble(): number {
    const high = this.next32() >>> 5;
    const low = this.next32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** The standard regeneration, split in three loops so no index needs a modulo (the mask draws spend their time here). */
  private twist(): void {
    const key = this.key;
    const mix = (i: number, next: number, far: number) => {
      const y = (key[i]! & UPPER) | (key[next]! & LOWER);
      key[i] = key[far]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    };
    let i = 0;
    for (; i < N - M; i++) mix(i, i + 1, i + M);
    for (; i < N - 1; i++) mix(i, i + 1, i + M - N);
    mix(N - 1, 0, M - 1);
    this.pos = 0;
  }
}
