// Runs anywhere in main: exponential backoff with full jitter, an abortable sleep, and retry() built from them.
import { isRetryableTransportError } from './transport-error.js';

export interface BackoffOptions {
  /** Ceiling of the first wait; default 1 s, as Flower's client. */
  baseMs?: number;
  /** No wait is ever longer; default 20 s, Flower's MAX_RETRY_DELAY. */
  maxMs?: number;
  /** Growth of the ceiling per attempt; default 2. */
  factor?: number;
  /** Uniform in [0, 1); replaceable so tests can pin the jitter. */
  random?: () => number;
}

/**
 * The wait before retry number `retryIndex` (0 for the first): uniform in [0, min(max, base * factor^n)).
 * Full jitter spreads parties out, so a restarted aggregator is not hit by all of them in the same instant.
 */
export function backoffDelay(retryIndex: number, options: BackoffOptions = {}): number {
  const { baseMs = 1_000, maxMs = 20_000, factor = 2, random = Math.random } = options;
  const ceiling = Math.min(maxMs, baseMs * factor ** retryIndex);
  return random() * ceiling;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryInfo {
  error: unknown;
  /** The attempt that just failed, from 1. */
  attempt: number;
  delayMs: number;
}

export interface RetryOptions extends BackoffOptions {
  /** Which failures are worth another attempt; default: TransportErrors marked retryable. */
  isRetryable?: (error: unknown) => boolean;
  /** Told before each wait, e.g. to show "reconnecting in 4 s" to the operator. */
  onRetry?: (info: RetryInfo) => void;
  /** Stops waiting and retrying at once; retry() then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Give up after this many attempts; default: never. */
  maxAttempts?: number;
}

/** `fn` until it succeeds, fails for good, or the signal aborts; the error of the last attempt is what rejects. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { isRetryable = isRetryableTransportError, onRetry, signal, maxAttempts = Infinity } = options;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (attempt >= maxAttempts || !isRetryable(error)) throw error;
      const delayMs = backoffDelay(attempt - 1, options);
      onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs, signal);
    }
  }
}
