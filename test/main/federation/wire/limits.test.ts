// Tests (Node): the limits a model sets on its messages hold every honest message for it, chunked as Flower chunks or finer, and little more.
import { describe, expect, it } from 'vitest';
import { messageLimits } from '../../../../main/federation/wire/limits.js';
import { arrayRecord, configRecord, deflateMessage, metricRecord, recordDict } from '../../../../main/federation/wire/index.js';
import type { AnyRecord, OutgoingMessage } from '../../../../main/federation/wire/index.js';
import { scenarioMetadata } from './flower-scenario.js';

/** mnist-cnn's weights, and a model with one 24 MB array (five of Flower's 5 MiB chunks). */
const MODELS = {
  'mnist-cnn': [[3, 3, 1, 32], [32], [3, 3, 32, 64], [64], [1600, 10], [10]],
  'one large array': [[1000, 6000], [6000]],
};

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function fedAvgMessage(shapes: number[][], withMetrics: boolean): OutgoingMessage {
  // Values that differ along each array and between arrays, so that no two chunks share an id.
  const values = (size: number, index: number) => new Float32Array(size).map((_, i) => (i % 997) + index / 8);
  const arrays = arrayRecord(
    shapes.map((shape, index) => [`layer_${index}/w`, { dtype: 'float32', shape, data: values(size(shape), index) }]),
  );
  const settings = configRecord({ 'server-round': 3n, 'local-epochs': 1n, lr: 0.01, 'batch-size': 32n });
  const second: [string, AnyRecord] = withMetrics
    ? ['metrics', metricRecord({ 'num-examples': 600n, train_loss: 0.5, train_acc: 0.8 })]
    : ['config', settings];
  return { metadata: scenarioMetadata, content: recordDict([['arrays', arrays], second]) };
}

describe.each(Object.entries(MODELS))('messageLimits for %s', (_, shapes) => {
  const limits = messageLimits(shapes);
  const modelBytes = shapes.reduce((sum, shape) => sum + 4 * shape.reduce((a, b) => a * b, 1), 0);

  it.each([
    ['a train message, in 5 MiB chunks', false, undefined],
    ['a train message, in 64 KiB chunks', false, 64 * 1024],
    ['a train reply, in 5 MiB chunks', true, undefined],
  ])('holds %s', (_case, withMetrics, chunkSize) => {
    const { objects } = deflateMessage(fedAvgMessage(shapes, withMetrics), chunkSize === undefined ? {} : { chunkSize });
    const sizes = [...objects.values()].map((bytes) => bytes.length);
    expect(objects.size).toBeLessThanOrEqual(limits.objects);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(limits.bytes);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(limits.objectBytes);
  });

  it('is the model once, 4 MiB of structure and 1 KiB an array; an object at most one whole array or 1 MiB', () => {
    expect(limits.bytes).toBeGreaterThan(modelBytes);
    expect(limits.bytes).toBeLessThan(modelBytes + 4.1 * 2 ** 20);
    const largest = Math.max(...shapes.map((shape) => 4 * shape.reduce((a, b) => a * b, 1)));
    expect(limits.objectBytes).toBeLessThan(Math.max(largest + 256, 2 ** 20 + 1));
  });

  it('holds the model twice over only while the model weighs less than the 4 MiB allowed for structure', () => {
    const doubled = deflateMessage(fedAvgMessage([...shapes, ...shapes], false));
    const bytes = [...doubled.objects.values()].reduce((sum, content) => sum + content.length, 0);
    expect(bytes > limits.bytes || doubled.objects.size > limits.objects).toBe(modelBytes > 4 * 2 ** 20);
  });
});
