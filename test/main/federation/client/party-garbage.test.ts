// Tests (Node, real sockets, a real training thread): garbage PullMessages answers are audited, every message with its ids is answered, the party stays joined.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../../main/federation/client/audit-log.js';
import { hostileGrpc, hostileRest, Hostility } from '../hostile/raw-servers.js';
import { FakeFleet } from './fake-fleet.js';
import { fedAvgContent, instruction } from './instructions.js';
import { errorsOf, openRunner, startParty, type JoinedParty, type OpenedRunner } from './party-fixture.js';

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

describe.each(['grpc', 'rest'] as const)('garbage PullMessages answers over %s', (kind) => {
  const hostility = new Hostility();
  let fleet: FakeFleet;
  let joined: JoinedParty;
  let nodeId: bigint;
  beforeAll(async () => {
    fleet = await FakeFleet.start(kind, 0, kind === 'grpc' ? hostileGrpc(hostility) : hostileRest(hostility));
    joined = await startParty(fleet, opened);
    nodeId = await fleet.activeNode();
  });
  afterAll(async () => {
    await joined.party.leave({ finish: false });
    await fleet.close();
  });

  const evaluate = (group: string) => instruction(nodeId, fedAvgContent(opened.weights), { type: 'evaluate', group });
  /** The audit log's lines once one holds `what` (its lines are written just after the events and replies they go with). */
  const auditOnce = async (holds: (entry: AuditEntry) => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const lines = await joined.party.readAudit();
      if (lines.some(holds)) return lines;
      if (Date.now() > deadline) throw new Error(`timed out waiting for an audit line: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('audits an answer that is not protobuf, stays joined, and serves the next message', async () => {
    hostility.next('PullMessages', { bytes: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]) });
    const audit = await auditOnce((entry) => entry.error?.startsWith('PullMessages answer refused') === true, 'the refusal');
    const refusal = /^PullMessages answer refused: PullMessagesResponse: cannot decode 5 bytes/;
    const line = expect.objectContaining({ direction: 'received', messageId: '', error: expect.stringMatching(refusal) });
    expect(audit.filter((entry) => entry.error !== null)).toEqual([line]);
    const reply = await fleet.send(evaluate('1'));
    expect(reply.message.error).toBeUndefined();
    expect(errorsOf(joined.events).filter((error) => error.includes('lost the connection'))).toEqual([]);
  });

  it('answers a message that came without its object tree with an error, naming the fault', async () => {
    const bare = evaluate('2');
    const [reply] = fleet.sendAnswer(nodeId, { messagesList: [bare.proto], messageObjectTrees: [] }, [bare]);
    const answered = await reply!;
    expect(answered.message.error).toEqual({ code: 2n, reason: 'PullMessages answer refused: its message came without its object tree' });
    const audit = await auditOnce((entry) => entry.replyTo === bare.messageId, 'the error reply');
    const lines = audit.filter((entry) => entry.messageId === bare.messageId || entry.replyTo === bare.messageId);
    expect(lines.map((entry) => entry.direction)).toEqual(['received', 'sent']);
  });

  it('serves the first of two messages in one answer and refuses the second with an error reply', async () => {
    const [first, second] = [evaluate('3'), evaluate('4')];
    const answer = { messagesList: [first.proto, second.proto], messageObjectTrees: [first.tree, second.tree] };
    const [firstReply, secondReply] = fleet.sendAnswer(nodeId, answer, [first, second]);
    expect((await firstReply!).message.error).toBeUndefined();
    const refusal = 'PullMessages answer refused: message 2 of 2; a server hands out one message at a time, and only the first is served';
    expect((await secondReply!).message.error?.reason).toBe(refusal);
  });

  it('refuses nonsense metadata, and answers it when the ids are there', async () => {
    const stray = evaluate('5');
    const metadata = { ...stray.proto.metadata!, replyToMessageId: 'garbage' };
    const [reply] = fleet.sendAnswer(nodeId, { messagesList: [{ metadata }], messageObjectTrees: [stray.tree] }, [stray]);
    expect((await reply!).message.error?.reason).toBe(
      'PullMessages answer refused: its message: reply_to_message_id "garbage" is not an object id',
    );
    // A reply repeats the message type, as Flower requires: one past any honest length is answered, and a server refuses that reply in turn.
    const long = instruction(nodeId, fedAvgContent(opened.weights), { type: 'x'.repeat(300) });
    const [longReply] = fleet.sendAnswer(nodeId, { messagesList: [long.proto], messageObjectTrees: [long.tree] }, [long]);
    await expect(longReply!).rejects.toThrow(/message_type of 300 characters \(at most 256\)/);
    await auditOnce(
      (entry) => entry.error === 'PullMessages answer refused: its message: message_type of 300 characters (at most 256)',
      'the refusal',
    );
    const unnamed = evaluate('6');
    fleet.sendAnswer(
      nodeId,
      { messagesList: [{ metadata: { ...unnamed.proto.metadata!, messageId: 'not an id' } }], messageObjectTrees: [unnamed.tree] },
      [],
    );
    const refusal = 'PullMessages answer refused: its message: message_id "not an id" is not an object id';
    const audit = await auditOnce((entry) => entry.error === refusal, 'the refusal');
    expect(audit.filter((entry) => entry.error === refusal)).toEqual([
      expect.objectContaining({ direction: 'received', messageId: '', messageType: '' }),
    ]);
    expect((await fleet.send(evaluate('7'))).message.error).toBeUndefined();
  });
});
