// Tests (Node, real sockets, a real training thread): a message in hand at a stop, written off by the server since, is a notice; its reply is audited by id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InHandFile } from '../../../../main/federation/client/in-hand.js';
import { FakeFleet, waitFor } from './fake-fleet.js';
import { fedAvgContent, instruction } from './instructions.js';
import { errorsOf, killable, openRunner, startParty, type OpenedRunner } from './party-fixture.js';

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

describe.each(['grpc', 'rest'] as const)('a message in hand that the server no longer wants, over %s', (kind) => {
  it('is told as a notice, not an error, and the reply tried is audited under its id', async () => {
    const fleet = await FakeFleet.start(kind);
    const first = killable();
    const { party: killed, dir } = await startParty(fleet, opened, { heartbeatIntervalSec: 0.5, options: { openTransport: first.open } });
    const nodeId = await fleet.activeNode();
    first.kill();
    // What the killed party noted of a message the server has since written off (it never stores a reply to it).
    const lost = instruction(nodeId, fedAvgContent(opened.weights), { type: 'train' });
    await new InHandFile(killed.inHandFile).save(nodeId, lost.proto.metadata!);

    const { party, events } = await startParty(fleet, opened, { dir, heartbeatIntervalSec: 0.5 });
    try {
      const notice = new RegExp(
        `^message ${lost.messageId} \\("train"\\), in hand when this site stopped, needs no answer: the server no longer wanted one`,
      );
      await waitFor(() => events.some((event) => event.type === 'notice' && notice.test(event.message)), 20_000, 'the notice');
      expect(errorsOf(events).filter((error) => error.includes(lost.messageId))).toEqual([]);
      const sent = (await party.readAudit()).filter((entry) => entry.replyTo === lost.messageId);
      expect(sent).toEqual([
        expect.objectContaining({
          direction: 'sent',
          messageId: expect.stringMatching(/^[0-9a-f]{64}$/),
          error: expect.stringMatching(
            /^this site stopped while serving "train" .*; not taken: PushMessages: the server did not store reply/,
          ),
        }),
      ]);
      expect(await new InHandFile(party.inHandFile).read()).toBeNull();
    } finally {
      await party.leave({ finish: false });
      await fleet.close();
    }
  });
});
