// Runs on any thread (the host, a bench): how late this thread's event loop ran while some async work went on, from perf_hooks.monitorEventLoopDelay.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopLag {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** How many times the loop was sampled (about one per resolution while it keeps up). */
  samples: number;
}

/**
 * Runs `work` while sampling the event loop every `resolutionMs` (default 10). The histogram records the time
 * between the sampling timer's runs, which includes the resolution itself; that is subtracted, so 0 means on time.
 */
export async function measureEventLoopLag<T>(
  work: () => Promise<T>,
  options: { resolutionMs?: number } = {},
): Promise<{ result: T; lag: EventLoopLag }> {
  const { resolutionMs = 10 } = options;
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let result: T;
  try {
    result = await work();
  } finally {
    histogram.disable();
  }
  const lateMs = (ns: number) => Math.round(Math.max(0, ns / 1e6 - resolutionMs) * 100) / 100;
  return {
    result,
    lag: {
      p50Ms: lateMs(histogram.percentile(50)),
      p99Ms: lateMs(histogram.percentile(99)),
      maxMs: lateMs(histogram.max),
      meanMs: lateMs(histogram.mean),
      samples: histogram.count,
    },
  };
}
