// Tests (real sockets on 127.0.0.1): the reference aggregator's SecAgg+ rounds against nodes running the party's SecAggPlusClient:
// the unmasked aggregate is FedAvg's, dropouts after share_keys are recovered, too many fail the round, bad replies are refused.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../../../main/federation/server/checkpoint.js';
import { readRoundRecords } from '../../../../main/federation/server/metrics-history.js';
import { startHarness, type Harness } from './harness.js';
import { secAggNode } from './secagg-node.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** max_weight 100: the example counts below sum to a weight ratio near 1, so the quantisation error stays near 1e-5. */
const SECAGG = { enabled: true, max_weight: 100 };

/** The largest difference between the round's global model and the initial one shifted by `shift`. */
async function shiftError(runDir: string, round: number, shift: number): Promise<number> {
  const initial = await readCheckpoint(path.join(runDir, 'checkpoints', 'round-0000'));
  const after = await readCheckpoint(path.join(runDir, 'checkpoints', `round-${String(round).padStart(4, '0')}`));
  let worst = 0;
  after.weights.forEach((array, i) =>
    array.data.forEach((value, j) => (worst = Math.max(worst, Math.abs(value - (initial.weights[i]!.data[j]! + shift))))),
  );
  return worst;
}

/** Flower's bound on the error: one quantisation step per site and weight, over the sum of the weight ratios. */
const bound = (sites: number, examples: number) => (sites * 16) / 2 ** 22 / (examples / 100) + 1e-6;

describe('SecAgg+ rounds on the reference aggregator', () => {
  it.each(['grpc', 'rest'] as const)(
    'over %s: three nodes, two rounds: the unmasked aggregate is the FedAvg of their updates, and nothing left unmasked',
    async (transport) => {
      harness = await startHarness({ rounds: 2, min_nodes: 3, round_timeout: 20, secagg: SECAGG });
      const nodes = await harness.join(transport, [
        secAggNode({ delta: 1, numExamples: 10 }),
        secAggNode({ delta: 2, numExamples: 20 }),
        secAggNode({ delta: 3, numExamples: 70 }),
      ]);
      const result = await harness.aggregator.run();
      expect(result.records.map((r) => [r.status, r.reason])).toEqual([
        ['completed', undefined],
        ['completed', undefined],
      ]);
      // FedAvg moves every weight by (1 x 10 + 2 x 20 + 3 x 70) / 100 = 2.6 each round.
      expect(await shiftError(result.runDir, 1, 2.6)).toBeLessThan(bound(3, 100));
      expect(await shiftError(result.runDir, 2, 5.2)).toBeLessThan(2 * bound(3, 100));
      const [first] = result.records;
      expect(first!.train).toMatchObject({ num_examples: 100, dropped: [], refused: [] });
      expect(first!.train.metrics.train_loss).toBeCloseTo(2.6);
      expect(first!.secagg).toMatchObject({ share_num: 3, threshold: 2, recovered: [] });
      expect(first!.secagg!.stages.map((s) => [s.stage, s.asked, s.replied])).toEqual([
        ['setup', 3, 3],
        ['share_keys', 3, 3],
        ['collect_masked_vectors', 3, 3],
        ['unmask', 3, 3],
      ]);
      expect(await readRoundRecords(path.join(result.runDir, 'metrics.jsonl'))).toEqual(JSON.parse(JSON.stringify(result.records)));
      // Each node: four train messages per round, the stages in order, then evaluate.
      const stages = nodes[0]!.received.map((m) => {
        const configs = m.content?.get('secaggplus_configs');
        return `${m.metadata.messageType}:${m.metadata.groupId}:${configs?.kind === 'config' ? configs.items.get('stage') : ''}`;
      });
      expect(stages).toEqual(
        [1, 2].flatMap((r) => [
          `train:${r}:setup`,
          `train:${r}:share_keys`,
          `train:${r}:collect_masked_vectors`,
          `train:${r}:unmask`,
          `evaluate:${r}:`,
        ]),
      );
      expect(harness.aggregator.state.store.stats()).toEqual({ objects: 0, bytes: 0 });
      for (const node of nodes) expect(node.failure).toBeUndefined();
    },
    60_000,
  );

  it("recovers a node that drops after share_keys: its masks are rebuilt from the others' shares, the aggregate is the survivors' FedAvg", async () => {
    // min_nodes 2: all three are online before the round, so all are sampled; the round needs two replies.
    harness = await startHarness({ rounds: 1, min_nodes: 2, round_timeout: 20, secagg: SECAGG });
    const [, , leaver] = await harness.join('grpc', [
      secAggNode({ delta: 1, numExamples: 30 }),
      secAggNode({ delta: 2, numExamples: 30 }),
      secAggNode({ delta: 5, numExamples: 40, lastStage: 'share_keys' }),
    ]);
    const { records, runDir } = await harness.aggregator.run();
    const [record] = records;
    expect(record!.status, record!.reason).toBe('completed');
    expect(record!.secagg!.recovered).toEqual([String(leaver!.nodeId)]);
    expect(record!.train.replied).toHaveLength(2);
    expect(record!.train.dropped).toEqual([
      { node: String(leaver!.nodeId), reason: expect.stringMatching(/^SecAgg\+ collect_masked_vectors: /) },
    ]);
    expect(record!.secagg!.stages.map((s) => [s.stage, s.asked, s.replied])).toEqual([
      ['setup', 3, 3],
      ['share_keys', 3, 3],
      ['collect_masked_vectors', 3, 2],
      ['unmask', 2, 2],
    ]);
    // (1 x 30 + 2 x 30) / 60 = 1.5: the dropped node's update is not in it.
    expect(await shiftError(runDir, 1, 1.5)).toBeLessThan(bound(2, 60));
  }, 60_000);

  it('fails the round, with the reason, when fewer nodes than the threshold are left to hold the shares; the model stays', async () => {
    harness = await startHarness({ rounds: 1, min_nodes: 1, round_timeout: 20, secagg: SECAGG });
    await harness.join('rest', [
      secAggNode({ delta: 1, numExamples: 30 }),
      secAggNode({ delta: 2, numExamples: 30, lastStage: 'share_keys' }),
      secAggNode({ delta: 5, numExamples: 40, lastStage: 'share_keys' }),
    ]);
    const { records, runDir } = await harness.aggregator.run();
    const [record] = records;
    expect(record!.status).toBe('failed');
    expect(record!.reason).toMatch(
      /^SecAgg\+ collect_masked_vectors: node \d+ has 1 live neighbours left .*fewer than the reconstruction threshold 2/,
    );
    expect(record!.evaluate).toBeNull();
    expect(await shiftError(runDir, 1, 0)).toBe(0);
    expect(harness.events.some((e) => e.type === 'log' && e.level === 'error' && e.message.includes(record!.reason!))).toBe(true);
  }, 60_000);

  it('refuses, naming the stage and key, a share_keys reply missing a neighbour and a masked vector out of range; the round goes on', async () => {
    harness = await startHarness({ rounds: 1, min_nodes: 2, round_timeout: 20, secagg: { ...SECAGG, num_shares: 1 } });
    const nodes = await harness.join('grpc', [
      secAggNode({ delta: 1, numExamples: 25 }),
      secAggNode({ delta: 3, numExamples: 25 }),
      secAggNode({
        delta: 9,
        numExamples: 25,
        tamper: {
          stage: 'share_keys',
          edit: (reply) => ['dsts', 'ctxts'].forEach((key) => reply.set(key, (reply.get(key) as unknown[]).slice(1) as never)),
        },
      }),
      secAggNode({
        delta: 9,
        numExamples: 25,
        tamper: {
          stage: 'collect_masked_vectors',
          edit: (reply) => {
            const files = reply.get('masked_params') as Uint8Array[];
            files[1]!.fill(0xff, files[1]!.length - 8); // the last element: -1 as int64
          },
        },
      }),
    ]);
    const { records, runDir } = await harness.aggregator.run();
    const [record] = records;
    expect(record!.status, record!.reason).toBe('completed');
    const reasons = Object.fromEntries(record!.train.refused.map((r) => [r.node, r.reason]));
    expect(reasons[String(nodes[2]!.nodeId)]).toMatch(/^SecAgg\+ share_keys: "dsts" names 2 of its 3 neighbours; each must get a share/);
    expect(reasons[String(nodes[3]!.nodeId)]).toMatch(
      /^SecAgg\+ collect_masked_vectors: "masked_params" item 1, element \d+ is -1, outside 0\.\.4294967295/,
    );
    // The node refused at collect had shared its keys: it is recovered like a dropout.
    expect(record!.secagg!.recovered).toEqual([String(nodes[3]!.nodeId)]);
    expect(await shiftError(runDir, 1, 2)).toBeLessThan(bound(2, 50));
  }, 60_000);
});
