// Runs in the party (plain Node): the heartbeat that keeps the node online at the server, from activation to leave, training or not.
import { retry, sleep } from '../transport/backoff.js';

export interface HeartbeatOptions {
  /** The interval the node announced at activation, in seconds; the server drops a node silent for twice this. */
  intervalSec: number;
  /** One SendNodeHeartbeat: true when the server acknowledged it, false when it no longer knows this node. */
  send: (signal: AbortSignal, timeoutMs: number) => Promise<boolean>;
  /** The server no longer knows this node (it restarted, or dropped us): the party must register and activate again. */
  onLost: (reason: string) => void;
  /** A heartbeat failed and will be retried. */
  onRetry?: (error: unknown) => void;
  random?: () => number;
}

/**
 * Flower's SuperNode sends the next beat after (interval - call timeout) x U(0.7, 0.9); the same here, with the call
 * timeout scaled down for short intervals, so a slow call still lands well inside the interval.
 */
export function nextBeatDelayMs(intervalSec: number, random: () => number = Math.random): number {
  const callTimeoutSec = callTimeout(intervalSec);
  return (intervalSec - callTimeoutSec) * (0.7 + 0.2 * random()) * 1000;
}

function callTimeout(intervalSec: number): number {
  return Math.min(5, intervalSec / 4);
}

export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #beats = 0;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** Acknowledged beats so far. */
  get beats(): number {
    return this.#beats;
  }

  start(): void {
    this.#loop ??= this.#run().catch(() => {}); // only a stop ends it early
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error('heartbeat stopped'));
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { intervalSec, send, onLost, onRetry, random = Math.random } = this.#options;
    const signal = this.#stop.signal;
    const timeoutMs = callTimeout(intervalSec) * 1000;
    for (;;) {
      await sleep(nextBeatDelayMs(intervalSec, random), signal);
      let known: boolean;
      try {
        // Failed beats are retried quickly: a node silent for twice the interval is dropped.
        known = await retry(() => send(signal, timeoutMs), {
          signal,
          maxMs: (intervalSec * 1000) / 2,
          onRetry: ({ error }) => onRetry?.(error),
        });
      } catch (error) {
        if (signal.aborted) return;
        onLost(`SendNodeHeartbeat: ${(error as Error).message}`);
        return;
      }
      if (!known) {
        onLost('the server no longer knows this node (SendNodeHeartbeat answered success = false)');
        return;
      }
      this.#beats++;
    }
  }
}
