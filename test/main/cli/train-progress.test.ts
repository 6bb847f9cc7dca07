// Tests (Node, no tfjs): the training progress line, redrawn on a terminal and a line per tenth of an epoch elsewhere.
import { describe, expect, it } from 'vitest';
import { formatBatch, trainingProgress } from '../../../main/cli/train-progress.js';
import type { BatchProgress } from '../../../main/engine/train/trainer.js';

const batch = (epoch: number, n: number, etaSec = 75): BatchProgress => ({
  type: 'batch', epoch, epochs: 2, batch: n, batches: 20, loss: 0.51234, accuracy: 0.8, samplesPerSec: 1234.4, etaSec, memory: { rssMb: 200, tensors: 10 },
});

function stream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const written: string[] = [];
  return { isTTY, write: (chunk: string) => written.push(chunk) > 0, text: () => written.join('') } as unknown as NodeJS.WriteStream & { text: () => string };
}

describe('trainingProgress', () => {
  it('says where the epoch is, how it goes and how long is left', () => {
    expect(formatBatch(batch(1, 3))).toBe('epoch 1/2  batch 3/20  loss 0.5123  accuracy 0.8000  1234 samples/s  ETA 1:15');
    expect(formatBatch({ ...batch(2, 20, 3725), accuracy: null })).toBe('epoch 2/2  batch 20/20  loss 0.5123  1234 samples/s  ETA 1:02:05');
  });

  it('redraws one line on a terminal, and clears it before other output', () => {
    const out = stream(true);
    const progress = trainingProgress(out);
    progress.batch(batch(1, 1));
    progress.batch(batch(1, 2));
    progress.clear();
    progress.clear(); // nothing drawn since: nothing to clear
    expect(out.text()).toBe(`\r${formatBatch(batch(1, 1))}\x1b[K\r${formatBatch(batch(1, 2))}\x1b[K\r\x1b[K`);
  });

  it('writes a line per tenth of each epoch elsewhere (a log file, CI)', () => {
    const out = stream(false);
    const progress = trainingProgress(out);
    for (const epoch of [1, 2]) for (let n = 1; n <= 20; n++) progress.batch(batch(epoch, n));
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(2 * 11); // tenths 0 to 10 of each epoch
    expect(lines.slice(0, 4).map((line) => line.split('  ').slice(0, 2).join(' '))).toEqual(['epoch 1/2 batch 1/20', 'epoch 1/2 batch 2/20', 'epoch 1/2 batch 4/20', 'epoch 1/2 batch 6/20']);
    expect(lines[11]).toMatch(/^epoch 2\/2 {2}batch 1\/20 /);
  });
});
