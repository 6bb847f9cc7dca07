// Tests (Node): the party's status kept current by training batches, so the status line and the progress bars say the same.
import { describe, expect, it } from 'vitest';
import type { PartyStatus } from '../../../../common/contract/party-api.js';
import { withBatch } from '../../../../renderer/features/federation/party-status.js';
import type { BatchProgress } from '../../../../renderer/features/federation/party-status.js';
import { statusWords } from '../../../../renderer/features/federation/party-words.js';

const progress = { runId: '5', round: 4, epochs: 5, batches: 32, loss: 0.5, acc: 0.8, samplesPerSec: 100, etaSec: 9 };
const status = (state: PartyStatus['state']): PartyStatus => ({
  stage: 'joined',
  state,
  pauseRequested: false,
  leaving: null,
  run: null,
  file: '/site/party.yaml',
  node: null,
  federation: null,
  backend: null,
  model: null,
});
const batch = (epoch: number, batchNumber: number, round = 4): BatchProgress => ({
  kind: 'batch',
  ...progress,
  round,
  epoch,
  batch: batchNumber,
  memory: { rssMb: 300, tensors: 9 },
});

describe('withBatch', () => {
  it('moves the training state on to the latest batch: the status line says epoch 3, batch 23, as the bar does', () => {
    const announced = status({ type: 'training', ...progress, epoch: 1, batch: 1 });
    const current = withBatch(announced, batch(3, 23));
    expect(current.state).toEqual({ type: 'training', ...progress, epoch: 3, batch: 23 });
    expect(statusWords(current).detail).toBe('Epoch 3 of 5, batch 23 of 32.');
  });

  it('leaves any other state alone: a batch that arrives after evaluation began, or of another round, does not bring training back', () => {
    const evaluating = status({ type: 'evaluating', round: 4 });
    expect(withBatch(evaluating, batch(5, 32))).toBe(evaluating);
    const training = status({ type: 'training', ...progress, epoch: 1, batch: 1 });
    expect(withBatch(training, batch(1, 2, 3))).toBe(training);
  });
});
