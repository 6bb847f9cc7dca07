// Tests (Node, no tfjs): the training progress line, redrawn on a terminal and a line every 10 s (and at each epoch's end) elsewhere.
import { describe, expect, it, vi } from 'vitest';
import { formatBatch, trainingProgress } from '../../../main/cli/train-progress.js';
import type { BatchProgress } from '../../../main/engine/train/trainer.js';

const batch = (epoch: number, n: number, etaSec = 75): BatchProgress => ({
  type: 'batch',
  epoch,
  epochs: 2,
  batch: n,
  batches: 20,
  loss: 0.51234,
  accuracy: 0.8,
  samplesPerSec: 1234.4,
  etaSec,
  memory: { rssMb: 200, tensors: 10 },
});

function stream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const written: string[] = [];
  return { isTTY, write: (chunk: string) => written.push(chunk) > 0, text: () => written.join('') } as unknown as NodeJS.WriteStream & {
    text: () => string;
  };
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

  it("elsewhere (a log file, CI) writes a line every 10 s and at each epoch's end: a 75 s epoch is never silent for more than 10 s", () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const out = stream(false);
      const progress = trainingProgress(out);
      // 60,000 images in batches of 32, one every 40 ms: 1875 batches, 75 s an epoch.
      for (const epoch of [1, 2]) {
        for (let n = 1; n <= 1875; n++) {
          vi.advanceTimersByTime(40);
          progress.batch({ ...batch(epoch, n), batches: 1875 });
        }
      }
      const shown = out
        .text()
        .trim()
        .split('\n')
        .map((line) => line.split('  ').slice(0, 2).join(' '));
      const first = ['1/1875', '251/1875', '501/1875', '751/1875', '1001/1875', '1251/1875', '1501/1875', '1751/1875', '1875/1875'];
      expect(shown.slice(0, 9)).toEqual(first.map((b) => `epoch 1/2 batch ${b}`));
      expect(shown.slice(9)).toEqual(['250', '500', '750', '1000', '1250', '1500', '1750', '1875'].map((b) => `epoch 2/2 batch ${b}/1875`));
    } finally {
      vi.useRealTimers();
    }
  });
});
