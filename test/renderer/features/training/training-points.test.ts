// Tests (Node): where batches and epochs sit on their charts' x axes: by their place in the round and the run, not by how many points came before.
import { describe, expect, it } from 'vitest';
import type { EpochProgress } from '../../../../common/contract/party-api.js';
import { batchAxis, batchPosition, epochPoints } from '../../../../renderer/features/training/training-points.js';

const epoch = (round: number | null, e: number, epochs: number, loss: number | null): EpochProgress => ({
  kind: 'epoch',
  runId: '5',
  round,
  epoch: e,
  epochs,
  loss,
  acc: 0.5,
  samples: 100,
  seconds: 1,
  samplesPerSec: 100,
});

describe('training points', () => {
  it('places a batch by its epoch and number, so batches skipped by throttling leave room, not a shorter axis', () => {
    expect(batchPosition({ epoch: 1, batch: 1, batches: 32 })).toBe(1);
    expect(batchPosition({ epoch: 3, batch: 23, batches: 32 })).toBe(87);
  });

  it('names what the per-batch x axis counts: batches of which round, how many an epoch', () => {
    expect(batchAxis({ round: 3, epochs: 2, batches: 32 }).title).toBe('batch of round 3 (32 per epoch, 2 epochs)');
    expect(batchAxis(null).title).toBe('batch of the round');
  });

  it("places each epoch at its share of its round, so a round sat out leaves a gap and the round's last epoch is at the round", () => {
    const { points, title } = epochPoints([epoch(1, 1, 2, 2.0), epoch(1, 2, 2, 1.5), epoch(3, 1, 2, null), epoch(3, 2, 2, 1.0)], 'loss');
    expect(points).toEqual([
      { x: 0.5, y: 2 },
      { x: 1, y: 1.5 },
      { x: 3, y: 1 },
    ]);
    expect(title).toBe('round (each epoch at its share of the round)');
  });

  it('puts epochs one after another when the server numbers no rounds', () => {
    expect(epochPoints([epoch(null, 1, 1, 2), epoch(null, 1, 1, 1)], 'loss')).toEqual({
      points: [
        { x: 1, y: 2 },
        { x: 2, y: 1 },
      ],
      title: 'epoch',
    });
  });
});
