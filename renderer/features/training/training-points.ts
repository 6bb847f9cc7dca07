// Runs in the renderer: where each batch and epoch sits on its chart's x axis: the batch's place in its round, the epoch's in its run.
import type { EpochProgress } from '../../../common/contract/party-api.js';
import type { Point } from './chart-geometry.js';

export interface BatchPlace {
  epoch: number;
  batch: number;
  /** Batches per epoch. */
  batches: number;
}

/** Batch 5 of epoch 2, 32 batches an epoch: batch 37 of the round. Throttled progress skips batches; their places stay empty. */
export function batchPosition({ epoch, batch, batches }: BatchPlace): number {
  return (epoch - 1) * batches + batch;
}

/** The round the per-batch chart draws, and how it is cut into epochs and batches. */
export interface BatchRound {
  round: number | null;
  epochs: number;
  batches: number;
}

/** The per-batch chart's x title and note: which round it draws, and how many batches make an epoch. */
export function batchAxis(shape: BatchRound | null): { title: string; note: string } {
  if (!shape) return { title: 'batch of the round', note: "Drawn live, batch by batch, for this run's round in training." };
  const round = shape.round ?? '?';
  const per = `${shape.batches} per epoch, ${shape.epochs} ${shape.epochs === 1 ? 'epoch' : 'epochs'}`;
  return {
    title: `batch of round ${round} (${per})`,
    note: `Round ${round} of this run, batch by batch as it trained: the running mean over each epoch.`,
  };
}

export interface EpochAxis {
  points: Point[];
  /** What x counts: rounds when every epoch knows its round, else epochs one after another. */
  title: string;
}

/**
 * Epoch e of E in round r sits at r - 1 + e/E: the last epoch of round r at r, as on the per-round chart, and a round
 * the site sat out leaves a gap. A server that numbers no rounds leaves the epochs in order, one apart.
 */
export function epochPoints(epochs: readonly EpochProgress[], metric: 'loss' | 'acc'): EpochAxis {
  const byRound = epochs.every((epoch) => epoch.round !== null);
  const points = epochs.flatMap((epoch, index) => {
    const y = epoch[metric];
    if (y === null) return [];
    return [{ x: byRound ? epoch.round! - 1 + epoch.epoch / Math.max(1, epoch.epochs) : index + 1, y }];
  });
  return { points, title: byRound ? 'round (each epoch at its share of the round)' : 'epoch' };
}
