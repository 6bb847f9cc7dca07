// Tests (Node, real sockets, a real training thread): faults: a server not there yet, a server restarted, a party killed mid-round and restarted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeFleet, waitFor } from './fake-fleet.js';
import { fedAvgContent, instruction } from './instructions.js';
import { killable, openRunner, startParty, type OpenedRunner } from './party-fixture.js';

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

/** A port nothing listens on (it did a moment ago). */
async function freePort(kind: 'grpc' | 'rest'): Promise<number> {
  const probe = await FakeFleet.start(kind);
  const port = probe.port;
  await probe.close();
  return port;
}

/** Waits for the training thread to finish the call it was stopped in. */
async function untilIdle({ runner }: OpenedRunner): Promise<void> {
  for (;;) {
    const free = await runner.getWeights().then(
      () => true,
      () => false,
    );
    if (free) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(['grpc', 'rest'] as const)('party faults over %s', (kind) => {
  it('keeps trying a refused connection with backoff, showing why, and joins once the server is up', async () => {
    const port = await freePort(kind);
    const address = kind === 'grpc' ? `127.0.0.1:${port}` : `http://127.0.0.1:${port}`;
    const { party } = await startParty({ address, kind }, opened);
    let fleet: FakeFleet | undefined;
    try {
      await waitFor(() => party.state.type === 'connecting' && party.state.attempt >= 2, 10_000, 'a retried connection');
      expect(party.state).toMatchObject({
        type: 'connecting',
        refused: false,
        lastError: expect.stringMatching(/RegisterNode failed: (UNAVAILABLE|ECONNREFUSED)/),
      });
      fleet = await FakeFleet.start(kind, port);
      const nodeId = await fleet.activeNode(20_000);
      const reply = await fleet.send(instruction(nodeId, fedAvgContent(opened.weights), { type: 'evaluate' }));
      expect(reply.message.error).toBeUndefined();
    } finally {
      await party.leave({ finish: false });
      await fleet?.close();
    }
  });

  it('says a server that refuses an unregistered key (register: false) refused it, not that it cannot be reached', async () => {
    const fleet = await FakeFleet.start(kind);
    const { party } = await startParty(fleet, opened, { register: false });
    try {
      await waitFor(() => party.state.type === 'connecting' && party.state.lastError !== null, 10_000, 'a refused activation');
      // Flower's REST routes let the refusal through as HTTP 500: an answer all the same.
      const refusal = kind === 'grpc' ? /FAILED_PRECONDITION: No SuperNode found with the given public key/ : /HTTP 500/;
      expect(party.state).toMatchObject({ type: 'connecting', refused: true, lastError: expect.stringMatching(refusal) });
    } finally {
      await party.leave({ finish: false });
      await fleet.close();
    }
  });

  it('rejoins a restarted server (which forgot every node) and serves its next round', async () => {
    let fleet = await FakeFleet.start(kind);
    const { party, events } = await startParty(fleet, opened);
    try {
      const before = await fleet.activeNode();
      const port = fleet.port;
      await fleet.close();
      await waitFor(() => party.state.type === 'connecting', 10_000, 'the party to notice');
      fleet = await FakeFleet.start(kind, port);
      const after = await fleet.activeNode(20_000);
      expect(after).not.toBe(before); // a new registry, a new id for the same key
      // gRPC: the next call is refused as "Invalid node ID"; REST: the next heartbeat answers success = false.
      expect(fleet.calls.map((call) => call.rpc).filter((rpc) => rpc.endsWith('Node'))).toEqual(['RegisterNode', 'ActivateNode']);
      const reply = await fleet.send(instruction(after, fedAvgContent(opened.weights), { type: 'evaluate', group: '2' }));
      expect(reply.message.error).toBeUndefined();
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'error', message: expect.stringMatching(/lost the connection to the server/) }),
      );
    } finally {
      await party.leave({ finish: false });
      await fleet.close();
    }
  });
});

describe.each(['grpc', 'rest'] as const)('a party killed mid-round over %s', (kind) => {
  it('restarts with its kept key as the same node and serves the next round', async () => {
    const fleet = await FakeFleet.start(kind);
    const first = killable();
    const {
      party: killed,
      events,
      dir,
    } = await startParty(fleet, opened, { heartbeatIntervalSec: 0.5, options: { openTransport: first.open } });
    const nodeId = await fleet.activeNode();
    const lost = instruction(nodeId, fedAvgContent(opened.weights, { 'local-epochs': 10n }), { type: 'train', group: '1' });
    const lostReply = fleet.send(lost, 60_000);
    await waitFor(() => events.some((event) => event.type === 'training'), 15_000, 'training to start');
    first.kill();
    await opened.runner.stop(); // the dead process's training thread goes with it
    await untilIdle(opened);
    expect(killed.state.type).not.toBe('disconnected');

    const { party: restarted, events: restartedEvents } = await startParty(fleet, opened, { dir, heartbeatIntervalSec: 0.5 });
    try {
      await waitFor(() => restarted.state.type === 'idle', 20_000, 'the restarted party to be activated');
      expect(restarted.state).toEqual({ type: 'idle', nodeId: String(nodeId) });
      // The message in hand when it was killed is answered, so its round need not wait for the server's timeout.
      expect((await lostReply).message.error).toEqual({
        code: 8n,
        reason: `this site stopped while serving "train" (message ${lost.messageId})`,
      });
      // Flower's REST routes answer "Public key already in use" as HTTP 500: a refusal all the same, not an outage to wait out.
      const refusal = kind === 'grpc' ? /RegisterNode was refused .*Public key already in use/ : /RegisterNode was refused .*HTTP 500/;
      expect(restartedEvents).toContainEqual(expect.objectContaining({ type: 'notice', message: expect.stringMatching(refusal) }));
      expect(fleet.callsOf('RegisterNode')).toHaveLength(2); // once at the first start, once after the restart
      const reply = await fleet.send(instruction(nodeId, fedAvgContent(opened.weights), { type: 'train', group: '2' }));
      expect([...reply.message.content!.keys()]).toEqual(['arrays', 'metrics']);
      expect(fleet.nodes.size).toBe(1); // the same node: no second registration
    } finally {
      await restarted.leave({ finish: true });
      await fleet.close();
    }
  });
});
