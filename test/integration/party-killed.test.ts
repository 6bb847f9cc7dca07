// Integration test (real sockets, real training threads, a real child process): a party killed mid-round;
// the round goes on without it; restarted, it is the same node and serves again.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFederation } from '../../main/federation/local/local-federation.js';
import { writeSiteConfig } from '../../main/federation/local/sites.js';
import type { AggregatorEvent } from '../../main/federation/server/events.js';
import type { RoundRecord } from '../../main/federation/server/metrics-history.js';
import { FAST_SETTINGS, sampleSites, waitFor } from './fixtures.js';
import { PartyProcess } from './party-process.js';

const ROUND_TIMEOUT_S = 5;
/** Flower's shortest heartbeat interval: a killed node stays online at the server for up to twice this after its last beat. */
const HEARTBEAT_PATIENCE_MS = 2 * 10_000;

describe('a party killed in the middle of a round', () => {
  it(
    'is dropped when the round times out; restarted, it rejoins as the same node and serves the next round',
    { timeout: 75_000 },
    async () => {
      const { root, sites } = await sampleSites(3);
      const [first, second, third] = sites as [(typeof sites)[0], (typeof sites)[0], (typeof sites)[0]];
      const events: AggregatorEvent[] = [];
      // Two parties in this process, the third in a child process that can be killed; 3 local epochs leave time to kill it while it trains.
      const federation = await LocalFederation.start(
        {
          sites: [first, second],
          settings: FAST_SETTINGS,
          transport: 'grpc',
          rounds: 30,
          localEpochs: 3,
          minNodes: 2,
          roundTimeoutSec: ROUND_TIMEOUT_S,
          out: path.join(root, 'aggregator'),
        },
        (aggregator) => aggregator.events.on((event) => events.push(event)),
      );
      const registry = federation.aggregator.state.registry;
      await writeSiteConfig(third, { ...FAST_SETTINGS, server: federation.address, transport: 'grpc' });
      let child = new PartyProcess(third.configFile);
      const stop = new AbortController();
      let run: Promise<unknown> | undefined;
      try {
        const joined = /joined \S+ as node (\d+) \(key ([0-9a-f-]+)\)/;
        const [nodeId, fingerprint] = joined.exec(await child.waitForLine(/(joined .*)/, 20_000))!.slice(1) as [string, string];
        await waitFor(() => registry.onlineNodeIds().length === 3, 10_000, 'three nodes online');
        run = federation.run(stop.signal).catch(() => {});

        await child.waitForLine(/(round 1 .*epoch 1\/3)/, 20_000); // its first epoch is done: it is training
        child.kill('SIGKILL');
        expect(await child.exited).toBeNull(); // killed, not exited
        const firstRound = await roundDone(events, 1, 3 * ROUND_TIMEOUT_S * 1000);
        expect(firstRound.status).toBe('completed');
        expect(firstRound.train.replied).toHaveLength(2);
        expect(firstRound.train.replied).not.toContain(nodeId);
        expect(firstRound.train.dropped).toEqual([{ node: nodeId, reason: expect.stringMatching(/round timeout|went offline/) }]);

        // A restarted party cannot activate its node until the server has seen it go silent for two heartbeat intervals.
        await waitFor(() => !registry.isOnline(BigInt(nodeId)), HEARTBEAT_PATIENCE_MS + 5_000, 'the server to see the killed node offline');
        child = new PartyProcess(third.configFile);
        const rejoined = joined.exec(await child.waitForLine(/(joined .*)/, 20_000))!.slice(1);
        expect(rejoined).toEqual([nodeId, fingerprint]);
        const rejoinedAt = events.length;
        // The first round to start after it is back asks it, and counts its reply.
        const nextStart = () =>
          events.slice(rejoinedAt).find((event) => event.type === 'phase-started' && event.phase === 'train') as
            Extract<AggregatorEvent, { type: 'phase-started' }> | undefined;
        await waitFor(() => nextStart() !== undefined, 30_000, 'a round to start after the rejoin');
        const next = nextStart()!;
        expect(next.sampled).toContain(nodeId);
        const served = await roundDone(events, next.round, 3 * ROUND_TIMEOUT_S * 1000);
        expect(served.train.replied).toContain(nodeId);
        expect(served.evaluate?.replied).toContain(nodeId);
      } finally {
        stop.abort(new Error('test over'));
        await run;
        child.kill('SIGTERM');
        await child.exited;
        await federation.close();
        await rm(root, { recursive: true, force: true });
      }
    },
  );
});

async function roundDone(events: readonly AggregatorEvent[], round: number, timeoutMs: number): Promise<RoundRecord> {
  const find = () =>
    events.find((event) => event.type === 'round-done' && event.record.round === round) as
      Extract<AggregatorEvent, { type: 'round-done' }> | undefined;
  await waitFor(() => find() !== undefined, timeoutMs, `round ${round} to end`);
  return find()!.record;
}
