// Tests (Node, real sockets, real training threads): two parties and Tributary's reference aggregator (FedAvg) run two rounds together.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Aggregator } from '../../../../main/federation/server/aggregator.js';
import { errorsOf, openRunner, startParty, TRAIN_SAMPLES, type OpenedRunner } from './party-fixture.js';
import { partyAggregatorConfig } from '../server/harness.js';

let runners: OpenedRunner[];
beforeAll(async () => {
  runners = await Promise.all([openRunner(), openRunner()]);
});
afterAll(() => Promise.all(runners.map(({ runner }) => runner.close())));

describe('parties and the reference aggregator', () => {
  it.each(['grpc', 'rest'] as const)(
    'run two FedAvg rounds over %s: every reply used, the global model evaluated each round',
    async (kind) => {
      const out = await mkdtemp(path.join(os.tmpdir(), 'tributary-fedavg-'));
      const config = partyAggregatorConfig(out, {
        rounds: 2,
        min_nodes: 2,
        listen: kind === 'grpc' ? { grpc: '127.0.0.1:0', rest: null } : { grpc: null, rest: '127.0.0.1:0' },
      });
      const aggregator = new Aggregator(config, out);
      const addresses = await aggregator.start();
      const address = kind === 'grpc' ? addresses.grpc! : `http://${addresses.rest!}`;
      const parties = await Promise.all(runners.map((opened) => startParty({ address, kind }, opened, { heartbeatIntervalSec: 10 })));
      try {
        const result = await aggregator.run();
        expect(result.records.map((record) => [record.round, record.status])).toEqual([
          [1, 'completed'],
          [2, 'completed'],
        ]);
        for (const record of result.records) expect(record.eval_accuracy).toBeGreaterThan(0.3);
        for (const { party, events } of parties) {
          expect(errorsOf(events)).toEqual([]);
          const rounds = events.flatMap((event) =>
            event.type === 'round' ? [[event.messageType, event.round, event.outcome, event.metrics['num-examples']]] : [],
          );
          expect(rounds).toEqual([
            ['train', 1, 'replied', TRAIN_SAMPLES],
            ['evaluate', 1, 'replied', 200],
            ['train', 2, 'replied', TRAIN_SAMPLES],
            ['evaluate', 2, 'replied', 200],
          ]);
          await party.leave({ finish: true });
        }
      } finally {
        await Promise.all(parties.map(({ party }) => party.leave({ finish: false })));
        await aggregator.close();
      }
    },
  );
});
