// Integration test (real sockets, real training threads): the aggregator stopped and started again on the same port;
// the parties reconnect and serve the new run.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFederation } from '../../main/federation/local/local-federation.js';
import { FAST_SETTINGS, sampleSites } from './fixtures.js';

describe('the aggregator restarted', () => {
  it.each(['grpc', 'rest'] as const)(
    'over %s: the parties join the new run (new node ids, same keys) and serve its rounds',
    { timeout: 45_000 },
    async (transport) => {
      const { root, sites } = await sampleSites(3);
      const federation = await LocalFederation.start({
        sites,
        settings: FAST_SETTINGS,
        transport,
        rounds: 2,
        localEpochs: 1,
        out: path.join(root, 'aggregator'),
      });
      try {
        const first = await federation.run();
        expect(first.records.map((record) => record.train.replied.length)).toEqual([3, 3]);
        const before = federation.parties.map((local) => ({ nodeId: local.nodeId, fingerprint: local.party.fingerprint }));
        const runId = federation.aggregator.state.runId;

        await federation.restartAggregator(); // a new run, and a registry that knows no node
        // It waits for all three parties to be online again before its first round.
        const second = await federation.run();
        expect(federation.aggregator.state.runId).not.toBe(runId);
        expect(second.records.map((record) => [record.status, record.train.replied.length, record.evaluate?.replied.length])).toEqual([
          ['completed', 3, 3],
          ['completed', 3, 3],
        ]);
        const after = federation.parties.map((local) => ({ nodeId: local.nodeId, fingerprint: local.party.fingerprint }));
        after.forEach((party, i) => {
          expect(party.fingerprint).toBe(before[i]!.fingerprint);
          expect(party.nodeId).not.toBe(before[i]!.nodeId);
          expect(second.records[0]!.train.replied).toContain(party.nodeId);
        });
        for (const local of federation.parties) {
          const served = local.events.filter((event) => event.type === 'round' && event.outcome === 'replied');
          expect(served).toHaveLength(2 * 2 * 2); // train and evaluate, two rounds, two runs
        }
      } finally {
        await federation.close();
        await rm(root, { recursive: true, force: true });
      }
    },
  );
});
