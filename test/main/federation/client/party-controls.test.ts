// Tests (Node, real sockets, a real training thread): the operator's controls: pause declines work, resume serves again,
// leave finishes or aborts the task in hand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartyEvent } from '../../../../main/federation/client/party-events.js';
import { FakeFleet, waitFor } from './fake-fleet.js';
import { fedAvgContent, instruction } from './instructions.js';
import { openRunner, startParty, type OpenedRunner } from './party-fixture.js';

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

const firstTraining = (events: PartyEvent[]) =>
  waitFor(() => events.some((event) => event.type === 'training'), 15_000, 'training to start');

describe('party controls', () => {
  it('pause: stays connected and answers with an error reply; resume: serves again', async () => {
    const fleet = await FakeFleet.start('grpc');
    const { party, events } = await startParty(fleet, opened);
    try {
      const nodeId = await fleet.activeNode();
      party.pause();
      await waitFor(() => party.state.type === 'paused', 5_000, 'paused');
      const declined = await fleet.send(instruction(nodeId, fedAvgContent(opened.weights), { type: 'train' }));
      expect(declined.message.content).toBeUndefined();
      expect(declined.message.error).toEqual({ code: 6n, reason: 'this site declined "train": it is paused by its operator' });
      expect(fleet.callsOf('PullObject')).toEqual([]); // a paused site does not download the model
      await waitFor(() => events.some((event) => event.type === 'round'), 5_000, 'the round summary');
      await waitFor(() => fleet.callsOf('SendNodeHeartbeat').length > 0, 5_000, 'a heartbeat while paused');
      expect(events).toContainEqual(expect.objectContaining({ type: 'round', messageType: 'train', outcome: 'declined' }));

      party.resume();
      expect(party.state.type).toBe('idle');
      const served = await fleet.send(instruction(nodeId, fedAvgContent(opened.weights), { type: 'evaluate' }));
      expect(served.message.error).toBeUndefined();
      await waitFor(() => events.filter((event) => event.type === 'round').length === 2, 5_000, 'two round summaries');
      // Each reply's line says what became of the message it answers: the history reads that back after a restart.
      expect((await party.readAudit()).map((entry) => [entry.direction, entry.error !== null, entry.outcome])).toEqual([
        ['received', true, undefined],
        ['sent', true, 'declined'],
        ['received', false, undefined],
        ['sent', false, 'replied'],
      ]);
    } finally {
      await party.leave({ finish: true });
      await fleet.close();
    }
  });

  it('leave({ finish: true }) mid-training: the round is finished, its reply sent and left online to be read, then DeactivateNode', async () => {
    const fleet = await FakeFleet.start('grpc');
    const replyReadMs = 1_500;
    const { party, events } = await startParty(fleet, opened, { options: { replyReadMs } });
    try {
      const nodeId = await fleet.activeNode();
      const reply = fleet.send(instruction(nodeId, fedAvgContent(opened.weights, { 'local-epochs': 2n }), { type: 'train' }));
      await firstTraining(events);
      await party.leave({ finish: true });
      const trained = await reply;
      expect([...trained.message.content!.keys()]).toEqual(['arrays', 'metrics']);
      const rpcs = fleet.calls.map((call) => call.rpc);
      expect(rpcs.lastIndexOf('PushObject')).toBeLessThan(rpcs.indexOf('DeactivateNode'));
      expect(rpcs.slice(-2)).toEqual(['DeactivateNode', 'UnregisterNode']);
      // Flower's SuperLink turns the reply of a node gone before its ServerApp asked into "Node Unavailable".
      const pushedAt = fleet.calls[rpcs.lastIndexOf('PushObject')]!.at;
      const deactivatedAt = fleet.callsOf('DeactivateNode')[0]!.at;
      expect(deactivatedAt - pushedAt).toBeGreaterThanOrEqual(replyReadMs - 50);
      expect(fleet.callsOf('SendNodeHeartbeat').some((beat) => beat.at > pushedAt && beat.at < deactivatedAt)).toBe(true);
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'notice',
          message: expect.stringMatching(/^leaving in 1\.\d s, once the server has read the last reply$/),
        }),
      );
    } finally {
      await fleet.close();
    }
  });

  it('leave({ finish: false }) mid-training: training stops within a batch, an error reply says so, then the party leaves', async () => {
    const fleet = await FakeFleet.start('rest');
    const { party, events } = await startParty(fleet, opened);
    try {
      const nodeId = await fleet.activeNode();
      const reply = fleet.send(instruction(nodeId, fedAvgContent(opened.weights, { 'local-epochs': 10n }), { type: 'train' }));
      await firstTraining(events);
      const started = performance.now();
      await party.leave({ finish: false });
      expect(performance.now() - started).toBeLessThan(3_000);
      const aborted = await reply;
      expect(aborted.message.error).toEqual({ code: 6n, reason: 'this site\'s operator stopped "train" before it finished' });
      expect(fleet.calls.slice(-2).map((call) => call.rpc)).toEqual(['DeactivateNode', 'UnregisterNode']);
      expect(events).toContainEqual(expect.objectContaining({ type: 'round', outcome: 'aborted' }));
      // The training thread is free again for whatever comes next.
      await opened.runner.evaluate();
    } finally {
      await fleet.close();
    }
  });
});
