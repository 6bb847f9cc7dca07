// Test helper (plain Node): an aggregator on loopback ports with a tiny model, its events recorded, and nodes joined to it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Aggregator, type AggregatorAddresses } from '../../../../main/federation/server/aggregator.js';
import { AggregatorConfigSchema, type AggregatorConfig } from '../../../../main/federation/server/config.js';
import type { AggregatorEvent } from '../../../../main/federation/server/events.js';
import type { Behaviour } from './fake-node.js';
import { FakeNode } from './fake-node.js';

export interface Harness {
  aggregator: Aggregator;
  addresses: AggregatorAddresses;
  events: AggregatorEvent[];
  nodes: FakeNode[];
  /** Joins one node per behaviour (all before the rounds start, so the first sample sees them all). */
  join(kind: 'grpc' | 'rest', behaviours: Behaviour[]): Promise<FakeNode[]>;
  close(): Promise<void>;
}

/**
 * The aggregator the party tests train against: mlp on 28 x 28 x 1 with 10 classes (Fashion-MNIST), plain gRPC on
 * loopback, one local epoch of `batch_size`; `over` sets the rest (rounds, min_nodes, linger, listen).
 */
export function partyAggregatorConfig(
  out: string,
  { batch_size = 64, ...over }: Record<string, unknown> & { batch_size?: number } = {},
): AggregatorConfig {
  return AggregatorConfigSchema.parse({
    model: { builtin: 'mlp', input_shape: [28, 28, 1], classes: 10 },
    round_timeout: 60,
    insecure: true,
    out,
    train: { local_epochs: 1, lr: 0.01, batch_size },
    listen: { grpc: '127.0.0.1:0', rest: null },
    ...over,
  });
}

/** An MLP on 4 features and 2 classes: four small arrays, built in milliseconds. */
export async function startHarness(config: Record<string, unknown> = {}): Promise<Harness> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'tributary-aggregator-'));
  const parsed = AggregatorConfigSchema.parse({
    model: { builtin: 'mlp', input_shape: [4], classes: 2 },
    listen: { grpc: '127.0.0.1:0', rest: '127.0.0.1:0' },
    insecure: true,
    out,
    linger: 0, // scripted nodes never ask whether the run finished: a test of the linger sets it
    ...config,
  });
  const aggregator = new Aggregator(parsed, out);
  const events: AggregatorEvent[] = [];
  aggregator.events.on((event) => events.push(event));
  const addresses = await aggregator.start();
  const nodes: FakeNode[] = [];
  return {
    aggregator,
    addresses,
    events,
    nodes,
    async join(kind, behaviours) {
      const joined = await Promise.all(
        behaviours.map(async (behaviour) => {
          const node = await FakeNode.connect(kind, addresses[kind]!);
          await node.join();
          node.serve(behaviour);
          return node;
        }),
      );
      nodes.push(...joined);
      return joined;
    },
    async close() {
      await Promise.all(nodes.map((node) => node.stop()));
      await aggregator.close();
      await rm(out, { recursive: true, force: true });
    },
  };
}
