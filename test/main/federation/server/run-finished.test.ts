// Tests (real sockets on 127.0.0.1): the run finished: GetRun says so (with how it ended) while other calls are refused,
// and the aggregator lingers until online nodes have asked.
import { describe, expect, it } from 'vitest';
import type { FakeNode } from './fake-node.js';
import { honest } from './behaviours.js';
import { startHarness } from './harness.js';

/** Asks GetRun every 100 ms until the run is finished, as an idle party does (less often). */
async function askUntilFinished(node: FakeNode, runId: bigint): Promise<string> {
  for (;;) {
    const { run } = await node.call('GetRun', { node: { nodeId: node.nodeId }, runId });
    if (run?.status?.status === 'finished') return `${run.status.status}:${run.status.subStatus}:${run.finishedAt !== ''}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a finished run', () => {
  it.each(['grpc', 'rest'] as const)(
    'is answered over %s with its status and sub-status, while the calls that need a running run are refused',
    async (kind) => {
      const harness = await startHarness({ rounds: 1, min_nodes: 1, round_timeout: 10, linger: 20 });
      try {
        const [node] = await harness.join(kind, [honest(1, 10)]);
        const { runId } = harness.aggregator.state;
        const asking = askUntilFinished(node!, runId);
        const started = Date.now();
        const result = await harness.aggregator.run();
        expect(result.records.map((record) => record.status)).toEqual(['completed']);
        expect(await asking).toBe('finished:completed:true');
        expect(Date.now() - started).toBeLessThan(10_000); // not the whole 20 s: the one online node asked
        const refused = await node!
          .call('PullObject', { node: { nodeId: node!.nodeId }, runId, objectId: 'x' })
          .catch((error: Error) => error);
        expect(String(refused)).toMatch(/Run is finished\./);
      } finally {
        await harness.close();
      }
    },
  );

  it('keeps answering up to `linger` seconds for an online node that has not asked, then says which one', async () => {
    const harness = await startHarness({ rounds: 1, min_nodes: 1, round_timeout: 10, linger: 1.5 });
    try {
      const [node] = await harness.join('grpc', [honest(1, 10)]);
      let doneAt = 0;
      harness.aggregator.events.on((event) => {
        if (event.type === 'round-done') doneAt = Date.now();
      });
      await harness.aggregator.run();
      expect(Date.now() - doneAt).toBeGreaterThanOrEqual(1_400);
      const lines = harness.events.flatMap((event) => (event.type === 'log' ? [event.message] : []));
      expect(lines).toContain(`run ${harness.aggregator.state.runId} finished; answering up to 1.5 s more so the nodes learn it`);
      expect(lines).toContain(`1 online node(s) did not ask for the finished run before the aggregator stopped waiting: ${node!.nodeId}`);
    } finally {
      await harness.close();
    }
  });

  it('says a run stopped (Ctrl-C) as stopped, and does not linger', async () => {
    const harness = await startHarness({ rounds: 5, min_nodes: 2, round_timeout: 10, linger: 20 });
    try {
      const [node] = await harness.join('grpc', [honest(1, 10)]); // one node of the two needed: the first round waits
      const stop = new AbortController();
      const running = harness.aggregator.run(stop.signal);
      setTimeout(() => stop.abort(new Error('interrupted')), 300);
      await expect(running).rejects.toThrow();
      const { run } = await node!.call('GetRun', { node: { nodeId: node!.nodeId }, runId: harness.aggregator.state.runId });
      expect(run?.status).toEqual({ status: 'finished', subStatus: 'stopped', details: '' });
    } finally {
      await harness.close();
    }
  });
});
