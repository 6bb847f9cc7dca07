// Runs in the aggregator (plain Node): the progress events a CLI or UI follows (rounds, replies, drops, log lines).
import type { Metrics } from './fedavg.js';
import type { RoundRecord } from './metrics-history.js';

export type Phase = 'train' | 'evaluate';

/** Node ids are uint64: they travel as decimal text so listeners and JSON never lose digits. */
export type AggregatorEvent =
  | { type: 'listening'; transport: 'grpc' | 'rest'; address: string; tls: boolean }
  | { type: 'waiting-for-nodes'; round: number; phase: Phase; online: number; needed: number }
  | { type: 'phase-started'; round: number; phase: Phase; sampled: string[]; online: number }
  | { type: 'node-replied'; round: number; phase: Phase; node: string; numExamples: number; metrics: Metrics }
  | { type: 'node-dropped'; round: number; phase: Phase; node: string; reason: string }
  | { type: 'reply-refused'; round: number; phase: Phase; node: string; reason: string }
  | { type: 'round-done'; record: RoundRecord }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type AggregatorListener = (event: AggregatorEvent) => void;

/** Listeners in order of subscription; one that throws does not keep the others (or the round) from going on. */
export class AggregatorEvents {
  private readonly listeners = new Set<AggregatorListener>();

  on(listener: AggregatorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: AggregatorEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error(`aggregator event listener failed on ${event.type}: ${(error as Error).message}`);
      }
    }
  }

  log(level: 'info' | 'warn' | 'error', message: string): void {
    this.emit({ type: 'log', level, message });
  }
}
