// Tests (real sockets on 127.0.0.1): FedAvg rounds against scripted nodes over gRPC and REST: averaging, stragglers, bad replies, failed rounds, files.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { modelFile } from '../../../../main/engine/model-file.js';
import { getWeights } from '../../../../main/engine/weights.js';
import { readCheckpoint } from '../../../../main/federation/server/checkpoint.js';
import { readRoundRecords } from '../../../../main/federation/server/metrics-history.js';
import { declines, honest, nanWeights, noNumExamples, silent, unregisters } from './behaviours.js';
import { startHarness, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Every value of every array moved by `shift` from the initial model. */
async function expectShifted(runDir: string, round: number, shift: number) {
  const initial = await readCheckpoint(path.join(runDir, 'checkpoints', 'round-0000'));
  const after = await readCheckpoint(path.join(runDir, 'checkpoints', `round-${String(round).padStart(4, '0')}`));
  expect(after.manifest.arrays.map((a) => a.name)).toEqual(initial.manifest.arrays.map((a) => a.name));
  after.weights.forEach((array, i) => array.data.forEach((value, j) => expect(value).toBeCloseTo(initial.weights[i]!.data[j]! + shift, 4)));
}

describe('FedAvg rounds', () => {
  it('averages three gRPC nodes by num-examples over two rounds, evaluates, and writes checkpoints and metrics', async () => {
    harness = await startHarness({ rounds: 2, min_nodes: 3, round_timeout: 10 });
    const nodes = await harness.join('grpc', [honest(1, 10), honest(2, 20), honest(3, 70)]);
    const result = await harness.aggregator.run();
    expect(result.records.map((r) => r.status)).toEqual(['completed', 'completed']);
    // Each round moves every weight by (1 x 10 + 2 x 20 + 3 x 70) / 100 = 2.6.
    await expectShifted(result.runDir, 1, 2.6);
    await expectShifted(result.runDir, 2, 5.2);
    const [first] = result.records;
    expect([...first!.train.replied].sort()).toEqual(nodes.map((n) => String(n.nodeId)).sort());
    expect(first!.train).toMatchObject({ num_examples: 100, dropped: [], refused: [] });
    expect(first!.train.metrics.train_loss).toBeCloseTo(2.6);
    expect(first!.eval_loss).toBeCloseTo(2.6);
    expect(first!.eval_accuracy).toBeCloseTo(0.26);
    expect(await readRoundRecords(path.join(result.runDir, 'metrics.jsonl'))).toEqual(JSON.parse(JSON.stringify(result.records)));
    expect(await readdir(path.join(result.runDir, 'checkpoints'))).toEqual(['round-0000', 'round-0001', 'round-0002']);
    // The final model loads in tfjs with the final global weights.
    const model = await tf.loadLayersModel(modelFile(result.finalModel));
    expect(getWeights(model).map((w) => [w.name, [...w.data.slice(0, 3)]])).toEqual(
      result.weights.map((w) => [w.name, [...w.data.slice(0, 3)]]),
    );
    model.dispose();
    // What each node was sent: train then evaluate per round, group id = round, config with the round's settings.
    const sent = nodes[0]!.received.map((m) => `${m.metadata.messageType}:${m.metadata.groupId}`);
    expect(sent).toEqual(['train:1', 'evaluate:1', 'train:2', 'evaluate:2']);
    const config = nodes[0]!.received[0]!.content!.get('config')!;
    expect(config.kind === 'config' && Object.fromEntries(config.items)).toEqual({
      'server-round': 1n,
      'local-epochs': 1n,
      lr: 0.001,
      'batch-size': 32n,
    });
    // Memory stays flat: nothing of any round is left in the object store.
    expect(harness.aggregator.state.store.stats()).toEqual({ objects: 0, bytes: 0 });
    expect(nodes.map((n) => n.failure)).toEqual([undefined, undefined, undefined]);
  });

  it('over REST, drops a straggler and a node that unregisters mid-round, refuses NaN weights, and still completes', async () => {
    harness = await startHarness({ rounds: 1, min_nodes: 2, round_timeout: 1.5 });
    const [a, b, straggler, nan, leaver] = await harness.join('rest', [honest(1, 10), honest(3, 30), silent, nanWeights, unregisters]);
    const { records, runDir } = await harness.aggregator.run();
    const [record] = records;
    expect(record!.status).toBe('completed');
    expect([...record!.train.replied].sort()).toEqual([String(a!.nodeId), String(b!.nodeId)].sort());
    const reasons = Object.fromEntries([...record!.train.dropped, ...record!.train.refused].map((p) => [p.node, p.reason]));
    expect(reasons[String(straggler!.nodeId)]).toMatch(/round timeout of 1.5 s \(straggler\)/);
    expect(reasons[String(leaver!.nodeId)]).toMatch(/went offline \(unregistered\)/);
    expect(reasons[String(nan!.nodeId)]).toMatch(
      /arrays do not fit the global model: array "dense\/kernel": value 0 is NaN; weights must be finite/,
    );
    await expectShifted(runDir, 1, (1 * 10 + 3 * 30) / 40);
    // Evaluation asks the four nodes still online; the NaN node evaluates fine, the straggler stays silent.
    expect(record!.evaluate!.sampled).toHaveLength(4);
    expect(record!.evaluate!.dropped.map((p) => p.node)).toEqual([String(straggler!.nodeId)]);
    expect(record!.eval_loss).toBeCloseTo((1 * 10 + 3 * 30 + 1 * 10) / 50);
    const kinds = harness.events.map((e) => e.type);
    expect(kinds).toContain('node-dropped');
    expect(kinds).toContain('reply-refused');
    expect(kinds.at(-1)).toBe('log');
    expect(harness.aggregator.state.store.stats().objects).toBe(0);
  });

  it('records a round as failed, with the global model unchanged, when fewer than min_nodes reply usefully', async () => {
    harness = await startHarness({ rounds: 1, min_nodes: 2, round_timeout: 5 });
    const [, decliner, sloppy] = await harness.join('grpc', [honest(1, 10), declines, noNumExamples]);
    const { records, runDir } = await harness.aggregator.run();
    const [record] = records;
    expect(record).toMatchObject({ status: 'failed', evaluate: null, eval_loss: null });
    expect(record!.reason).toBe('only 1 of 3 sampled nodes replied usefully to train (at least 2 needed)');
    const refused = Object.fromEntries(record!.train.refused.map((p) => [p.node, p.reason]));
    expect(refused[String(decliner!.nodeId)]).toBe('error reply (code 2): paused by the operator');
    expect(refused[String(sloppy!.nodeId)]).toBe('its MetricRecord has no "num-examples"');
    await expectShifted(runDir, 1, 0);
  });
});
