// Tests (Node): measureEventLoopLag sees a blocked event loop, and reports an idle one as about on time.
import { describe, expect, it } from 'vitest';
import { measureEventLoopLag } from '../../../../main/engine/train/event-loop-lag.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('measureEventLoopLag', () => {
  it("returns the work's result with the lag, which an 80 ms block shows in the maximum", async () => {
    const { result, lag } = await measureEventLoopLag(async () => {
      await sleep(50);
      const until = performance.now() + 80;
      while (performance.now() < until); // the event loop is blocked
      await sleep(50);
      return 'done';
    });
    expect(result).toBe('done');
    expect(lag.maxMs).toBeGreaterThanOrEqual(60);
    expect(lag.samples).toBeGreaterThan(3);
    expect(lag.p50Ms).toBeLessThanOrEqual(lag.p99Ms);
    expect(lag.p99Ms).toBeLessThanOrEqual(lag.maxMs);
  });

  it('reports a loop that only waits as nearly on time, net of the sampling interval', async () => {
    const { lag } = await measureEventLoopLag(() => sleep(300), { resolutionMs: 20 });
    expect(lag.samples).toBeGreaterThanOrEqual(10);
    expect(lag.p50Ms).toBeLessThan(10);
  });
});
