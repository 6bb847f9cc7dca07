// Tests (Node): what a message asks for, read from its type and record keys, and the replies' keys for each kind of strategy.
import { describe, expect, it } from 'vitest';
import { evaluateReply, trainReply } from '../../../../main/federation/client/replies.js';
import { readTask } from '../../../../main/federation/client/task.js';
import {
  arrayRecord,
  configRecord,
  metricRecord,
  recordDict,
  type Message,
  type RecordDict,
} from '../../../../main/federation/wire/records/model.js';

const metadata = {
  runId: 1n,
  messageId: 'a'.repeat(64),
  srcNodeId: 1n,
  dstNodeId: 5n,
  replyToMessageId: '',
  groupId: '1',
  ttl: 60,
  createdAt: 1_800_000_000,
};
const message = (messageType: string, content?: RecordDict): Message => ({
  metadata: { ...metadata, messageType },
  ...(content && { content }),
});
const w = { dtype: 'float32' as const, shape: [2], data: new Float32Array([1, 2]) };

describe('readTask', () => {
  it('finds the ArrayRecord and ConfigRecord under FedAvg’s keys, or under the only key of their kind', () => {
    const fedavg = readTask(message('train', recordDict({ arrays: arrayRecord({ w }), config: configRecord({ lr: 0.1 }) })));
    expect(fedavg).toMatchObject({ kind: 'train', style: 'message', arraysKey: 'arrays', arrays: [{ name: 'w' }] });
    const custom = readTask(message('evaluate', recordDict({ model: arrayRecord({ w }), settings: configRecord({}) })));
    expect(custom).toMatchObject({ kind: 'evaluate', style: 'message', arraysKey: 'model' });
    const legacy = readTask(
      message('train', recordDict({ 'fitins.parameters': arrayRecord({ 0: w }), 'fitins.config': configRecord({}) })),
    );
    expect(legacy).toMatchObject({ kind: 'train', style: 'legacy', arraysKey: 'fitins.parameters' });
  });

  it('refuses messages it cannot serve, saying what it found', () => {
    expect(() => readTask(message('train'))).toThrow('"train" message has no content');
    expect(() => readTask(message('train.custom', recordDict({})))).toThrow('message type "train.custom" is not served by this site');
    expect(() => readTask(message('train', recordDict({ a: arrayRecord({ w }), b: arrayRecord({ w }) })))).toThrow(
      'expected one ArrayRecord ("arrays"), found "a" (arrays), "b" (arrays)',
    );
    expect(() => readTask(message('train', recordDict({ 'fitins.parameters': metricRecord({}) })))).toThrow(
      'record "fitins.parameters" should be an ArrayRecord, is a metrics record',
    );
  });
});

describe('replies', () => {
  const outcome = {
    weights: [{ name: 'dense/bias', shape: [2], dtype: 'float32' as const, data: new Float32Array(2) }],
    numExamples: 600,
    loss: 0.5,
    accuracy: null,
  };

  it('send one ArrayRecord and one MetricRecord with an integer "num-examples" to the Message-API FedAvg', () => {
    const content = trainReply('message', ['0'], outcome);
    expect([...content.keys()]).toEqual(['arrays', 'metrics']);
    expect(content.get('metrics')!.items).toEqual(
      new Map<string, unknown>([
        ['train_loss', 0.5],
        ['num-examples', 600n],
      ]),
    );
    expect([...evaluateReply('message', { loss: 0.25, accuracy: 0.75, numExamples: 200 }).get('metrics')!.items]).toEqual([
      ['eval_loss', 0.25],
      ['eval_acc', 0.75],
      ['num-examples', 200n],
    ]);
  });
});
