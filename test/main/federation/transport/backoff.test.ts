// Tests (Node): backoff delays (exponential, full jitter, capped), the abortable sleep, and retry().
import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, retry, sleep } from '../../../../main/federation/transport/backoff.js';
import { TransportError } from '../../../../main/federation/transport/transport-error.js';

const unavailable = () => new TransportError('PullMessages', 'UNAVAILABLE', 'down', true);
const denied = () => new TransportError('PullMessages', 'PERMISSION_DENIED', 'no', false);
const almostOne = () => 0.999_999;

describe('backoffDelay', () => {
  it('doubles its ceiling from 1 s up to the 20 s cap, as Flower does', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => Math.round(backoffDelay(n, { random: almostOne })));
    expect(ceilings).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 20_000, 20_000, 20_000]);
  });

  it('draws uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelay(3, { random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { random: () => 0.5 })).toBe(4_000);
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(i % 8, { baseMs: 50, maxMs: 400 });
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(400, 50 * 2 ** (i % 8)));
    }
  });
});

describe('sleep', () => {
  it('waits about as long as asked', async () => {
    const started = performance.now();
    await sleep(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('rejects with the reason at once when aborted, and at the start when already aborted', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const waiting = sleep(60_000, controller.signal);
    controller.abort(new Error('leave'));
    await expect(waiting).rejects.toThrow('leave');
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(sleep(10, controller.signal)).rejects.toThrow('leave');
  });
});

describe('retry', () => {
  it('retries retryable TransportErrors with growing waits until the call succeeds', async () => {
    const fn = vi
      .fn<(attempt: number) => Promise<string>>()
      .mockRejectedValueOnce(unavailable())
      .mockRejectedValueOnce(unavailable())
      .mockResolvedValueOnce('node 42');
    const onRetry = vi.fn();
    await expect(retry(fn, { baseMs: 4, random: almostOne, onRetry })).resolves.toBe('node 42');
    expect(fn.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    expect(onRetry.mock.calls.map(([info]) => [info.attempt, Math.round(info.delayMs)])).toEqual([
      [1, 4],
      [2, 8],
    ]);
    expect(onRetry.mock.calls[0]![0].error).toBeInstanceOf(TransportError);
  });

  it('rethrows at once what is not worth retrying', async () => {
    const fn = vi.fn().mockRejectedValue(denied());
    await expect(retry(fn, { baseMs: 1 })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(fn).toHaveBeenCalledTimes(1);
    const plain = vi.fn().mockRejectedValue(new TypeError('bug'));
    await expect(retry(plain, { baseMs: 1 })).rejects.toThrow('bug');
    expect(plain).toHaveBeenCalledTimes(1);
  });

  it('takes its own idea of retryable, and gives up after maxAttempts with the last error', async () => {
    let attempt = 0;
    const fn = () => Promise.reject(new Error(`try ${++attempt}`));
    await expect(retry(fn, { isRetryable: () => true, maxAttempts: 3, baseMs: 1 })).rejects.toThrow('try 3');
  });

  it('stops waiting as soon as the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const fn = vi.fn().mockRejectedValue(unavailable());
    const started = performance.now();
    const retrying = retry(fn, {
      baseMs: 60_000,
      random: almostOne,
      signal: controller.signal,
      onRetry: () => controller.abort(new Error('leave')),
    });
    await expect(retrying).rejects.toThrow('leave');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('reports the abort, not the call error, when the call fails because of it', async () => {
    const controller = new AbortController();
    const fn = async () => {
      controller.abort(new Error('leave'));
      throw unavailable();
    };
    await expect(retry(fn, { signal: controller.signal })).rejects.toThrow('leave');
  });
});
