// Tests (Node, real worker threads): the party's masking on the process's masking threads gives the bytes the arithmetic gives
// in place, and the party's own thread keeps turning while a large update is masked (its heartbeats and the UI are served).
import { describe, expect, it } from 'vitest';

import { maskedUpdateInThread } from '../../../../main/federation/secagg/masked-update-thread.js';
import { maskedUpdateFiles, type MaskJob } from '../../../../main/federation/secagg/masked-update.js';
import { Mt19937 } from '../../../../main/federation/secagg/mt19937.js';

const PARAMS = { sampleNum: 3, shareNum: 3, threshold: 2, clippingRange: 8, targetRange: 2 ** 22, modRange: 2 ** 32, maxWeight: 1000 };

function job(weights: number): MaskJob {
  const generator = new Mt19937(7);
  const data = Float32Array.from({ length: weights }, () => generator.nextDouble() - 0.5);
  const seed = (byte: number) => new Uint8Array(32).fill(byte);
  return {
    fit: { arrays: [{ shape: [weights], data }], numExamples: 400 },
    params: PARAMS,
    masks: [
      { seed: seed(1), sign: 1 },
      { seed: seed(2), sign: -1 },
      { seed: seed(3), sign: 1 },
    ],
    roundingSeed: 11,
  };
}

describe('masking on a thread of its own', () => {
  it('gives the same .npy files as the arithmetic run in place', async () => {
    const small = job(1000);
    const inPlace = maskedUpdateFiles(small);
    const threaded = await maskedUpdateInThread(small);
    expect(threaded.map((file) => Buffer.from(file).toString('hex'))).toEqual(inPlace.map((file) => Buffer.from(file).toString('hex')));
  });

  it("keeps the party's thread turning while a 4M-weight update is masked (in place, it would not turn once)", async () => {
    const large = job(4_000_000);
    await maskedUpdateInThread(job(10)); // the threads started
    let turns = 0;
    const ticker = setInterval(() => turns++, 5);
    const started = performance.now();
    const files = await maskedUpdateInThread(large);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(ticker);
    expect(files[1]!.length).toBeGreaterThan(8 * 4_000_000);
    // Masking 4M weights under 3 masks takes a few hundred ms of one core; a free thread ticks every 5 ms of it.
    expect(turns, `${turns} turns in ${seconds.toFixed(2)} s`).toBeGreaterThanOrEqual(Math.min(20, (seconds * 1000) / 5 / 4));
  });
});
