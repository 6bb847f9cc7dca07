// Tests (Node, a fake clock): off a terminal, scan and party progress come as a line every 10 s and at the end, never as minutes of silence.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FederationSectionSchema } from '../../../common/federation-config.js';
import { partyDisplay } from '../../../main/cli/party-command.js';
import { progressBar } from '../../../main/cli/progress.js';
import type { PartyEvent } from '../../../main/federation/client/party-events.js';
import { captureConsole } from './console-capture.js';

/** A stream that is not a terminal (a log file, CI, journald). */
function logStream(): NodeJS.WriteStream & { lines: () => string[] } {
  const written: string[] = [];
  const lines = () => written.join('').split('\n').filter(Boolean);
  return { isTTY: false, write: (chunk: string) => written.push(chunk) > 0, lines } as unknown as NodeJS.WriteStream & {
    lines: () => string[];
  };
}

beforeEach(() => void vi.useFakeTimers({ toFake: ['Date'] }));
afterEach(() => void vi.useRealTimers());
const out = captureConsole();

describe('scan progress off a terminal', () => {
  it('a line at the start, one every 10 s with the rate, and one at the end', () => {
    const out = logStream();
    const bar = progressBar('scan train', out);
    for (let done = 1; done <= 60_000; done++) {
      if (done % 250 === 0) vi.advanceTimersByTime(100); // 2,500 files a second: 24 s in all
      bar.update(done, 60_000);
    }
    bar.finish();
    expect(out.lines()).toEqual([
      'scan train: 1/60000',
      'scan train: 25000/60000 (2500/s)',
      'scan train: 50000/60000 (2500/s)',
      'scan train: 60000/60000 (2500/s)',
    ]);
  });
});

describe('party progress off a terminal', () => {
  const section = FederationSectionSchema.parse({ server: '127.0.0.1:9092', insecure: true });
  const training = (round: number, epoch: number, batch: number): PartyEvent => ({
    type: 'training',
    runId: '7',
    round,
    epoch,
    epochs: 2,
    batch,
    batches: 1875,
    loss: 0.5,
    acc: 0.8,
    samplesPerSec: 800,
    etaSec: 60,
  });

  it("a line every 10 s through a 75 s epoch, and each epoch's end once", () => {
    const out = logStream();
    const display = partyDisplay(section, out);
    for (const epoch of [1, 2]) {
      for (let batch = 1; batch <= 1875; batch++) {
        vi.advanceTimersByTime(40);
        display(training(3, epoch, batch));
      }
      display(training(3, epoch, 1875)); // the last batch reported again: its line is not
    }
    const shown = out.lines().map((line) => /epoch (\d)\/2 \[[#.]+\] batch (\d+)\/1875/.exec(line)!.slice(1, 3).join(':'));
    expect(shown).toEqual([
      ...['1', '251', '501', '751', '1001', '1251', '1501', '1751', '1875'].map((batch) => `1:${batch}`),
      ...['250', '500', '750', '1000', '1250', '1500', '1750', '1875'].map((batch) => `2:${batch}`),
    ]);
    expect(out.lines()[0]).toMatch(
      /^round 3 \[\.{10}\] epoch 1\/2 \[\.{20}\] batch 1\/1875 {2}loss 0\.5000 {2}acc 0\.8000 {2}800 samples\/s {2}eta 60 s$/,
    );
  });

  it('once the server said the run finished, the connection errors of its closing are not printed (the notice says it)', () => {
    const display = partyDisplay(section, logStream());
    const closed: PartyEvent = {
      type: 'connecting',
      attempt: 2,
      lastError: 'connect ECONNREFUSED 127.0.0.1:9092',
      refused: false,
      retryInMs: 500,
    };
    display(closed);
    display({ type: 'run', runId: '5', lastRound: 3, finished: true });
    display({ type: 'notice', message: 'federation finished (run 5, 3 rounds); the server has since closed; trying again' });
    display({ ...closed, attempt: 3, lastError: 'connect ECONNREFUSED 127.0.0.1:9092 (again)' });
    expect(out.complained()).toBe('');
    expect(out.printed().split('\n')).toEqual([
      'cannot reach 127.0.0.1:9092: connect ECONNREFUSED 127.0.0.1:9092; trying again',
      'federation finished (run 5, 3 rounds); the server has since closed; trying again',
    ]);
  });
});
