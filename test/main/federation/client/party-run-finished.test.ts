// Tests (Node, real sockets, a real training thread): a party learns its federation run finished (GetRun)
// and says so once the server closes, and says a lost server once, not per retry.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartyEvent } from '../../../../main/federation/client/party-events.js';
import { Aggregator } from '../../../../main/federation/server/aggregator.js';
import { FakeFleet, waitFor } from './fake-fleet.js';
import { fedAvgContent, instruction, RUN_ID } from './instructions.js';
import { errorsOf, openRunner, startParty, type OpenedRunner } from './party-fixture.js';
import { partyAggregatorConfig } from '../server/harness.js';

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

/** What the party said (notices and errors) from event `from` on. */
const said = (events: readonly PartyEvent[], from = 0) =>
  events.slice(from).flatMap((event) => (event.type === 'notice' || event.type === 'error' ? [`${event.type}: ${event.message}`] : []));

describe('a finished federation', () => {
  it(
    'the reference aggregator answers GetRun with the run finished and waits for the node to ask; the party says so, then that the server closed, once',
    { timeout: 60_000 },
    async () => {
      const out = await mkdtemp(path.join(os.tmpdir(), 'tributary-finished-'));
      const config = partyAggregatorConfig(out, { rounds: 1, min_nodes: 1, linger: 30, batch_size: 100 });
      const aggregator = new Aggregator(config, out);
      let roundsDoneAt = 0;
      aggregator.events.on((event) => {
        if (event.type === 'round-done') roundsDoneAt = Date.now();
      });
      const { grpc } = await aggregator.start();
      const { party, events } = await startParty({ address: grpc!, kind: 'grpc' }, opened, { heartbeatIntervalSec: 10 });
      const runId = String(aggregator.state.runId);
      try {
        await aggregator.run();
        expect(Date.now() - roundsDoneAt).toBeLessThan(15_000); // it lingered until the node asked, not the whole 30 s
        expect(aggregator.state.toldFinished.size).toBe(1);
        await waitFor(() => party.run?.finished === true, 2_000, 'the answer to reach the party'); // the aggregator counts the node told as it answers
        expect(party.run).toEqual({ runId, lastRound: 1, finished: true });
        expect(said(events)).toContain(
          `notice: federation finished: run ${runId}, 1 round, the server says; staying connected in case it starts another run`,
        );

        const before = events.length;
        await aggregator.close();
        await waitFor(
          () => party.state.type === 'connecting' && party.state.lastError !== null,
          15_000,
          'the party to find the server gone',
        );
        await sleep(4_000); // several retries
        expect(said(events, before)).toEqual([
          `notice: federation finished (run ${runId}, 1 round); the server has since closed; trying again`,
        ]);
        expect(errorsOf(events)).toEqual([]);
      } finally {
        await party.leave({ finish: false });
        await aggregator.close().catch(() => undefined);
      }
    },
  );

  // Over REST, Flower's routes turn the refusal into a bare HTTP 500 that says nothing: there the party cannot tell.
  it('reads Flower\'s refusal of GetRun for a finished run over gRPC ("Run is finished.")', { timeout: 40_000 }, async () => {
    const fleet = await FakeFleet.start('grpc');
    const { party, events } = await startParty(fleet, opened);
    try {
      const nodeId = await fleet.activeNode();
      await fleet.send(instruction(nodeId, fedAvgContent(opened.weights, { 'server-round': 3n }), { type: 'evaluate', group: '3' }));
      await waitFor(() => party.run?.lastRound === 3, 5_000, 'the round to be handled');
      expect(party.run).toEqual({ runId: String(RUN_ID), lastRound: 3, finished: false });
      fleet.runFinished = true;
      await waitFor(() => party.run?.finished === true, 15_000, 'the party to ask GetRun');
      const before = events.length;
      await fleet.close();
      await waitFor(() => said(events, before).length > 0, 15_000, 'the party to find the server gone');
      await sleep(3_000);
      expect(said(events, before)).toEqual([
        `notice: federation finished (run ${RUN_ID}, 3 rounds); the server has since closed; trying again`,
      ]);
    } finally {
      await party.leave({ finish: false });
      await fleet.close();
    }
  });
});

describe('a server lost while its run goes on', () => {
  it(
    'is said once for the whole outage (pull retries and the heartbeat both find it), and again after it came back and went again',
    { timeout: 60_000 },
    async () => {
      let fleet = await FakeFleet.start('grpc');
      const { party, events } = await startParty(fleet, opened);
      try {
        await fleet.activeNode();
        const port = fleet.port;
        await fleet.close();
        await sleep(4_000); // pull retries, and a heartbeat (every second here) that gives up
        const lost = said(events).filter((line) => line.includes('lost the connection'));
        expect(lost).toEqual([expect.stringMatching(/^error: lost the connection to the server \(.+\); (trying|joining) again$/)]);
        fleet = await FakeFleet.start('grpc', port);
        await fleet.activeNode(20_000);
        await waitFor(() => party.state.type === 'idle', 10_000, 'the party to be back');
        await fleet.close();
        await waitFor(
          () => said(events).filter((line) => line.includes('lost the connection')).length === 2,
          15_000,
          'the second outage to be said',
        );
      } finally {
        await party.leave({ finish: false });
        await fleet.close();
      }
    },
  );
});
