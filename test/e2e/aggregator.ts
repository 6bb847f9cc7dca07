// Test helper (Node): Tributary's reference aggregator in this process, on a free port of 127.0.0.1, running its rounds in the background.
import path from 'node:path';
import { Aggregator } from '../../main/federation/server/aggregator.js';
import { AggregatorConfigSchema } from '../../main/federation/server/config.js';
import type { AggregatorEvent } from '../../main/federation/server/events.js';
import type { RoundRecord } from '../../main/federation/server/metrics-history.js';

export interface RunningAggregator {
  /** host:port of its gRPC Fleet API. */
  address: string;
  /** Every round it finished, completed or failed, in order. */
  rounds: RoundRecord[];
  events: AggregatorEvent[];
  close(): Promise<void>;
}

/**
 * An MLP on 28x28x1 inputs (the sample's images), plain text, one node enough for a round, rounds that wait briefly
 * for replies. More rounds than a test watches: when the party leaves, the rest wait for nodes until close().
 */
export async function startAggregator(dir: string, { rounds }: { rounds: number }): Promise<RunningAggregator> {
  const config = AggregatorConfigSchema.parse({
    model: { builtin: 'mlp', input_shape: [28, 28, 1], classes: 10 },
    rounds, min_nodes: 1, round_timeout: 20, insecure: true, out: path.join(dir, 'aggregator'),
    train: { local_epochs: 1, lr: 0.01, batch_size: 100 },
    listen: { grpc: '127.0.0.1:0', rest: null },
  });
  const aggregator = new Aggregator(config, dir);
  const running: RunningAggregator = { address: '', rounds: [], events: [], close: async () => undefined };
  aggregator.events.on((event) => {
    running.events.push(event);
    if (event.type === 'round-done') running.rounds.push(event.record);
  });
  running.address = (await aggregator.start()).grpc!;
  const stop = new AbortController();
  const run = aggregator.run(stop.signal).catch(() => undefined); // aborted at close, or every round done
  running.close = async () => {
    stop.abort();
    await run;
    await aggregator.close();
  };
  return running;
}
