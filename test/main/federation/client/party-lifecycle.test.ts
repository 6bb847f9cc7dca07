// Tests (Node, real sockets, a real training thread): a party's life at a fake Flower server over gRPC and REST:
// join, train, evaluate, heartbeats, audit, leave.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochLogOf } from '../../../../main/federation/client/epoch-log.js';
import { evaluationLogOf } from '../../../../main/federation/client/evaluation-log.js';
import type { ArrayRecord, MetricRecord, RecordDict } from '../../../../main/federation/wire/records/model.js';
import { FakeFleet, waitFor } from './fake-fleet.js';
import { fedAvgContent, instruction, RUN_ID } from './instructions.js';
import { errorsOf, openRunner, startParty, TEST_SAMPLES, TRAIN_SAMPLES, type OpenedRunner } from './party-fixture.js';

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

/** The one record of a kind in a reply, as FedAvg requires exactly one. */
function only<K extends 'arrays' | 'metrics'>(content: RecordDict | undefined, kind: K): K extends 'arrays' ? ArrayRecord : MetricRecord {
  const found = [...(content ?? [])].filter(([, record]) => record.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]![1] as K extends 'arrays' ? ArrayRecord : MetricRecord;
}

describe('a party at a Flower-like server over gRPC', () => {
  it('registers, activates, trains and evaluates with FedAvg keys, heartbeats while training, audits every message, and leaves cleanly', async () => {
    const fleet = await FakeFleet.start('grpc');
    const { party, events } = await startParty(fleet, opened, { heartbeatIntervalSec: 0.5 });
    try {
      const nodeId = await fleet.activeNode();
      expect(fleet.calls.slice(0, 2).map((call) => call.rpc)).toEqual(['RegisterNode', 'ActivateNode']);
      await waitFor(() => party.state.type === 'idle', 5_000, 'idle');
      expect(party.state).toEqual({ type: 'idle', nodeId: String(nodeId) });

      const names = opened.weights.map((w) => w.name);
      const train = instruction(nodeId, fedAvgContent(opened.weights, { 'local-epochs': 3n, lr: 0.005, 'batch-size': 32n }), {
        type: 'train',
        group: '1',
      });
      const trained = await fleet.send(train);
      expect([...trained.message.content!.keys()]).toEqual(['arrays', 'metrics']);
      const arrays = only(trained.message.content, 'arrays');
      expect([...arrays.items.keys()]).toEqual(names);
      expect([...arrays.items.values()].map((a) => [a.dtype, a.shape])).toEqual(opened.weights.map((w) => ['float32', w.shape]));
      const metrics = only(trained.message.content, 'metrics');
      expect(metrics.items.get('num-examples')).toBe(BigInt(TRAIN_SAMPLES));
      expect(metrics.items.get('train_loss')).toBeGreaterThan(0);
      expect(metrics.items.get('train_acc')).toBeGreaterThan(0.3);
      expect(trained.pushed.at(-1)).toBe(trained.message.metadata.messageId); // children first, the Message last
      expect(trained.message.metadata).toMatchObject({
        runId: RUN_ID,
        srcNodeId: nodeId,
        dstNodeId: 1n,
        replyToMessageId: train.messageId,
        groupId: '1',
        messageType: 'train',
      });

      const training = events.filter((event) => event.type === 'training');
      expect(training.at(-1)).toMatchObject({ round: 1, epoch: 3, epochs: 3 });
      const [from, to] = [
        fleet.calls.find((c) => c.rpc === 'ConfirmMessageReceived')!.at,
        fleet.calls.find((c) => c.rpc === 'PushMessages')!.at,
      ];
      expect(fleet.callsOf('SendNodeHeartbeat').filter((c) => c.at > from && c.at < to).length).toBeGreaterThanOrEqual(2);

      const evaluate = instruction(nodeId, fedAvgContent(opened.weights, { 'server-round': 1n }), { type: 'evaluate', group: '1' });
      const evaluated = await fleet.send(evaluate);
      expect([...evaluated.message.content!.keys()]).toEqual(['metrics']);
      const evalMetrics = only(evaluated.message.content, 'metrics');
      expect([...evalMetrics.items.keys()].sort()).toEqual(['eval_acc', 'eval_loss', 'num-examples']);
      expect(evalMetrics.items.get('num-examples')).toBe(BigInt(TEST_SAMPLES));

      await party.leave({ finish: true });
      expect(fleet.calls.slice(-2).map((call) => call.rpc)).toEqual(['DeactivateNode', 'UnregisterNode']);
      expect(fleet.registeredNodes).toEqual([]);
      expect(party.state).toEqual({ type: 'disconnected', reason: 'left the federation' });
      expect(fleet.replies.refused).toEqual([]);
      expect(errorsOf(events)).toEqual([]);
      expect(
        events.filter((e) => e.type === 'round').map((e) => [e.type === 'round' && e.messageType, e.type === 'round' && e.outcome]),
      ).toEqual([
        ['train', 'replied'],
        ['evaluate', 'replied'],
      ]);

      const audit = await party.readAudit();
      expect(audit.map((entry) => [entry.direction, entry.messageType])).toEqual([
        ['received', 'train'],
        ['sent', 'train'],
        ['received', 'evaluate'],
        ['sent', 'evaluate'],
      ]);
      const sentTrain = audit[1]!;
      expect(sentTrain).toMatchObject({
        runId: String(RUN_ID),
        group: '1',
        serverRound: null,
        replyTo: train.messageId,
        messageId: trained.message.metadata.messageId,
        error: null,
      });
      expect(sentTrain.arrays.map((a) => [a.record, a.name, a.shape])).toEqual(opened.weights.map((w) => ['arrays', w.name, w.shape]));
      expect(sentTrain.values['metrics.num-examples']).toBe(TRAIN_SAMPLES);
      expect(sentTrain.bytes).toBeGreaterThan(opened.weights.reduce((sum, w) => sum + w.data.byteLength, 0));
      expect(audit[0]).toMatchObject({ serverRound: 1, values: { 'config.lr': 0.005, 'config.local-epochs': 3 } });
      expect(await party.readAudit({ last: 1 })).toEqual([audit[3]]);

      // The three epochs of the train round, each said as it finished and written beside the audit log (they never leave).
      const epochs = events.filter((event) => event.type === 'epoch');
      expect(epochs.map((e) => [e.runId, e.round, e.epoch, e.epochs, e.samples])).toEqual(
        [1, 2, 3].map((epoch) => [String(RUN_ID), 1, epoch, 3, TRAIN_SAMPLES]),
      );
      const logged = (await readFile(epochLogOf(party.audit.file), 'utf8'))
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(logged).toEqual(epochs.map(({ type: _type, ...epoch }) => ({ time: expect.any(String), kind: 'epoch', ...epoch })));

      // The global model's confusion matrix on the test split stays on site: said, written beside the audit log, not sent.
      const evaluations = events.flatMap((event) => (event.type === 'evaluation' ? [event] : []));
      expect(evaluations.map((e) => [e.runId, e.round, e.samples])).toEqual([[String(RUN_ID), 1, TEST_SAMPLES]]);
      const [{ type: _type, ...kept }] = evaluations as [(typeof evaluations)[number]];
      expect(kept.confusion.flat().reduce((a, b) => a + b, 0)).toBe(TEST_SAMPLES);
      expect(kept.confusion).toHaveLength(kept.classes.length);
      expect(kept.accuracy).toBeCloseTo(Number(evalMetrics.items.get('eval_acc')), 6);
      expect(JSON.parse(await readFile(evaluationLogOf(party.audit.file), 'utf8'))).toEqual(kept);
      expect(Object.keys(audit[3]!.values).sort()).toEqual(['metrics.eval_acc', 'metrics.eval_loss', 'metrics.num-examples']);
    } finally {
      await party.leave({ finish: false });
      await fleet.close();
    }
  });
});

describe('leaving for good', () => {
  it('retires the key with its unregistered node (Flower never takes it back), so joining again makes a new node', async () => {
    const fleet = await FakeFleet.start('grpc');
    const { party, events, dir, section } = await startParty(fleet, opened);
    try {
      const first = await fleet.activeNode();
      const fingerprint = party.fingerprint;
      await party.leave({ finish: true });
      expect(existsSync(path.join(dir, section.key_file))).toBe(false);
      expect(events).toContainEqual({
        type: 'notice',
        message: expect.stringMatching(new RegExp(`^node key ${fingerprint} retired with its node`)),
      });

      await party.join();
      await waitFor(() => party.state.type === 'idle', 10_000, 'the second join');
      expect(party.fingerprint).not.toBe(fingerprint);
      const second = await fleet.activeNode();
      expect(second).not.toBe(first);
      const reply = await fleet.send(instruction(second, fedAvgContent(opened.weights), { type: 'evaluate' }));
      expect(reply.message.error).toBeUndefined();
    } finally {
      await party.leave({ finish: false });
      await fleet.close();
    }
  });
});

describe('a party at a Flower-like server over REST', () => {
  it('joins, evaluates and leaves over HTTP', async () => {
    const fleet = await FakeFleet.start('rest');
    const { party, events } = await startParty(fleet, opened);
    try {
      const nodeId = await fleet.activeNode();
      const reply = await fleet.send(instruction(nodeId, fedAvgContent(opened.weights), { type: 'evaluate', group: '4' }));
      expect(reply.message.metadata).toMatchObject({ srcNodeId: nodeId, groupId: '4', messageType: 'evaluate' });
      await party.leave({ finish: true });
      expect(fleet.calls.slice(-2).map((call) => call.rpc)).toEqual(['DeactivateNode', 'UnregisterNode']);
      expect(errorsOf(events)).toEqual([]);
    } finally {
      await fleet.close();
    }
  });
});
