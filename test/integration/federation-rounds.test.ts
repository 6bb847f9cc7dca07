// Integration tests (real loopback sockets, real training threads): three parties and the reference aggregator run three FedAvg rounds over gRPC and over REST.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFederation } from '../../main/federation/local/local-federation.js';
import { readCheckpoint } from '../../main/federation/server/checkpoint.js';
import { readRoundRecords } from '../../main/federation/server/metrics-history.js';
import { FAST_SETTINGS, sampleSites } from './fixtures.js';

describe('a local federation of three parties', () => {
  it.each(['grpc', 'rest'] as const)(
    'runs 3 rounds over %s: 3 replies each round, the global model changes, evaluation recorded',
    async (transport) => {
      const { root, sites } = await sampleSites(3);
      const federation = await LocalFederation.start({
        sites,
        settings: FAST_SETTINGS,
        transport,
        rounds: 3,
        localEpochs: 1,
        out: path.join(root, 'aggregator'),
        roundTimeoutSec: 60,
      });
      try {
        const { records, runDir } = await federation.run();
        for (const record of records) {
          expect(record.status).toBe('completed');
          expect(record.train.replied).toHaveLength(3);
          expect(record.evaluate?.replied).toHaveLength(3);
          expect(record.eval_accuracy).toBeGreaterThan(0.2);
          expect(record.eval_loss).toBeGreaterThan(0);
          expect(record.train.num_examples).toBe(1000);
          expect(record.evaluate?.num_examples).toBe(3 * 200); // each party evaluates on the whole test set
        }
        expect((await readRoundRecords(path.join(runDir, 'metrics.jsonl'))).map((r) => r.round)).toEqual([1, 2, 3]);
        const checkpoints = (await readdir(path.join(runDir, 'checkpoints'))).sort();
        expect(checkpoints).toEqual(['round-0000', 'round-0001', 'round-0002', 'round-0003']);
        const models = await Promise.all(checkpoints.map((name) => readCheckpoint(path.join(runDir, 'checkpoints', name))));
        for (let round = 1; round <= 3; round++)
          expect(maxDifference(models[round]!.weights, models[round - 1]!.weights)).toBeGreaterThan(1e-4);
        for (const local of federation.parties) {
          expect(local.events.filter((event) => event.type === 'error')).toEqual([]);
          const served = local.events.flatMap((event) =>
            event.type === 'round' ? [`${event.messageType} ${event.round} ${event.outcome}`] : [],
          );
          expect(served).toEqual([1, 2, 3].flatMap((round) => [`train ${round} replied`, `evaluate ${round} replied`]));
        }
      } finally {
        await federation.close();
        await rm(root, { recursive: true, force: true });
      }
    },
  );
});

function maxDifference(a: { data: Float32Array }[], b: { data: Float32Array }[]): number {
  let max = 0;
  a.forEach((array, i) => array.data.forEach((value, j) => (max = Math.max(max, Math.abs(value - b[i]!.data[j]!)))));
  return max;
}
