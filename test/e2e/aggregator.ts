// Test helper (Node): Tributary's reference aggregator in this process, on a free port of 127.0.0.1, running its rounds in the background.
import path from 'node:path';
import { Aggregator } from '../../main/federation/server/aggregator.js';
import { AggregatorConfigSchema, type AggregatorConfig } from '../../main/federation/server/config.js';
import type { AggregatorEvent } from '../../main/federation/server/events.js';
import type { RoundRecord } from '../../main/federation/server/metrics-history.js';

export interface RunningAggregator {
  /** host:port of its gRPC Fleet API. */
  address: string;
  /** The config it runs, as parsed. */
  config: AggregatorConfig;
  /** Flower's run id of its run, as decimal text. */
  runId: string;
  /** Resolves once its rounds are done (or it was closed). */
  done: Promise<void>;
  /** Every round it finished, completed or failed, in order. */
  rounds: RoundRecord[];
  events: AggregatorEvent[];
  /** Stops its rounds and its servers; a second call waits for the first. */
  close(): Promise<void>;
}

/**
 * `listen`: a port of its own (0: any free one), or the address of an aggregator closed before, as a coordinator
 * restarting it would. An MLP on 28x28x1 inputs (the sample's images), plain text, one node enough for a round, rounds that wait briefly
 * for replies (TLS with `tls`). More rounds than a test watches: when the party leaves, the rest wait for nodes until close().
 */
export async function startAggregator(
  dir: string,
  { rounds, listen = '127.0.0.1:0', tls }: { rounds: number; listen?: string; tls?: { cert: string; key: string } },
): Promise<RunningAggregator> {
  const config = AggregatorConfigSchema.parse({
    model: { builtin: 'mlp', input_shape: [28, 28, 1], classes: 10 },
    rounds,
    min_nodes: 1,
    round_timeout: 20,
    ...(tls ? { tls } : { insecure: true }),
    out: path.join(dir, 'aggregator'),
    train: { local_epochs: 1, lr: 0.01, batch_size: 100 },
    listen: { grpc: listen, rest: null },
  });
  const aggregator = new Aggregator(config, dir);
  const running: RunningAggregator = {
    config,
    address: '',
    runId: String(aggregator.state.runId),
    done: Promise.resolve(),
    rounds: [],
    events: [],
    close: async () => undefined,
  };
  aggregator.events.on((event) => {
    running.events.push(event);
    if (event.type === 'round-done') running.rounds.push(event.record);
  });
  running.address = (await aggregator.start()).grpc!;
  const stop = new AbortController();
  const run = aggregator.run(stop.signal).then(
    () => undefined,
    () => undefined,
  ); // aborted at close, or every round done
  running.done = run;
  let closed: Promise<void> | undefined;
  running.close = () =>
    (closed ??= (async () => {
      stop.abort();
      await run;
      await aggregator.close();
    })());
  return running;
}
