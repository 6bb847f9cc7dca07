// Tests (Node, real files): the history of a site's federation runs rebuilt from its audit log and epoch log, runs kept apart, the reads bounded.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EpochLog, epochLogOf } from '../../../main/federation/client/epoch-log.js';
import { readHistory } from '../../../main/services/party-history-files.js';
import { tempDir } from '../../fixtures/corpus.js';

let dir: string;
let auditLog: string;
beforeEach(async () => {
  dir = await tempDir('tributary-history-');
  auditLog = path.join(dir, 'federation-audit.jsonl');
});
afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

const START = Date.parse('2026-11-24T00:00:00.000Z');
const at = (seconds: number) => new Date(START + seconds * 1000).toISOString();

interface Exchange {
  runId: string;
  type: string;
  round: number;
  /** Seconds after START that the message arrived; the reply goes 2 s later. */
  t: number;
  values?: Record<string, unknown>;
  error?: string | null;
  /** FedAvg of Flower 1.29 leaves the group empty and puts the round in the config. */
  group?: string;
  /** What the sent line says became of the message; absent, as in logs written before the party said it. */
  outcome?: string;
}

/** A received line and the sent line answering it, as the party's audit-entry writes them. */
function exchange({ runId, type, round, t, values = {}, error = null, group = String(round), outcome }: Exchange): string[] {
  const id = `${runId}-${type}-${round}`;
  const base = { messageType: type, runId, group, arrays: [], bytes: 10 };
  return [
    JSON.stringify({
      time: at(t),
      direction: 'received',
      ...base,
      serverRound: round,
      messageId: id,
      replyTo: null,
      values: { 'config.server-round': round },
      error: null,
    }),
    JSON.stringify({
      time: at(t + 2),
      direction: 'sent',
      ...base,
      serverRound: null,
      messageId: `${id}-reply`,
      replyTo: id,
      values,
      error,
      ...(outcome !== undefined && { outcome }),
    }),
  ];
}

const trained = (loss: number) => ({ 'metrics.train_loss': loss, 'metrics.train_acc': 0.5, 'metrics.num-examples': 1000 });
const evaluated = (loss: number) => ({ 'metrics.eval_loss': loss, 'metrics.eval_acc': 0.6, 'metrics.num-examples': 200 });

async function writeLines(file: string, lines: string[]): Promise<void> {
  await fsp.writeFile(file, `${lines.join('\n')}\n`);
}

describe('readHistory', () => {
  it('keeps runs apart (each counts from round 1), with the metrics sent back, the outcome of each reply and how long it took', async () => {
    await writeLines(auditLog, [
      ...exchange({ runId: '11', type: 'train', round: 1, t: 0, values: trained(2.1) }),
      ...exchange({ runId: '11', type: 'evaluate', round: 1, t: 5, values: evaluated(1.9) }),
      ...exchange({ runId: '11', type: 'train', round: 2, t: 10, error: 'this site declined "train": it is paused by its operator' }),
      ...exchange({ runId: '11', type: 'train', round: 3, t: 20, values: trained(1.5), group: '' }),
      '{"time":"2026-11-24T00:00:30.000Z","direction":"se', // torn by a crash
      ...exchange({ runId: '22', type: 'train', round: 1, t: 100, values: trained(2.0) }),
      ...exchange({
        runId: '22',
        type: 'evaluate',
        round: 1,
        t: 105,
        error: 'this site\'s operator stopped "evaluate" before it finished',
      }),
      ...exchange({
        runId: '22',
        type: 'train',
        round: 2,
        t: 110,
        error: 'message m ("train") refused: array "dense/kernel" has shape [3] where the model has [784, 10]',
      }),
      ...exchange({
        runId: '22',
        type: 'train',
        round: 3,
        t: 120,
        values: { 'fitres.metrics.train_loss': 1.2, 'fitres.num_examples.num_examples': 1000 },
      }),
      ...exchange({ runId: '22', type: 'train', round: 4, t: 130, error: 'this site stopped while serving "train" (message x)' }),
      JSON.stringify({
        time: at(140),
        direction: 'received',
        messageType: 'train',
        group: '5',
        messageId: 'no-run',
        replyTo: null,
        values: {},
        error: null,
      }),
    ]);
    const history = await readHistory(auditLog);
    expect(history.runs()).toEqual([
      { runId: '11', startedAt: at(0), lastAt: at(22), rounds: 3, lastRound: 3 },
      { runId: '22', startedAt: at(100), lastAt: at(132), rounds: 4, lastRound: 4 },
    ]);
    expect(history.unreadableLines).toBe(2); // the torn line, and the line without a run id
    const first = history.run('11')!;
    expect(first.rounds).toEqual([
      {
        messageType: 'train',
        runId: '11',
        round: 1,
        group: '1',
        outcome: 'replied',
        metrics: { train_loss: 2.1, train_acc: 0.5, 'num-examples': 1000 },
        seconds: 2,
        error: null,
      },
      {
        messageType: 'evaluate',
        runId: '11',
        round: 1,
        group: '1',
        outcome: 'replied',
        metrics: { eval_loss: 1.9, eval_acc: 0.6, 'num-examples': 200 },
        seconds: 2,
        error: null,
      },
      expect.objectContaining({
        round: 2,
        outcome: 'declined',
        metrics: {},
        error: 'this site declined "train": it is paused by its operator',
      }),
      expect.objectContaining({ round: 3, group: '', outcome: 'replied' }), // the round from the config, as Flower's FedAvg sends it
    ]);
    expect(history.run()!.runId).toBe('22');
    expect(history.run('22')!.rounds.map(({ round, outcome, metrics }) => [round, outcome, metrics])).toEqual([
      [1, 'replied', { train_loss: 2.0, train_acc: 0.5, 'num-examples': 1000 }],
      [1, 'aborted', {}],
      [2, 'refused', {}],
      [3, 'replied', { train_loss: 1.2, 'num-examples': 1000 }], // Flower's older strategies, under the Message API's names
      [4, 'failed', {}],
    ]);
  });

  it('places each epoch in its run from the epoch log the party writes, and counts lines it cannot use', async () => {
    await writeLines(auditLog, exchange({ runId: '11', type: 'train', round: 1, t: 0, values: trained(2.1) }));
    const log = new EpochLog(auditLog, (message) => expect.fail(message));
    const done = (runId: string, round: number, epoch: number) => ({
      runId,
      round,
      epoch,
      epochs: 2,
      loss: 1 / round,
      acc: 0.5,
      samples: 1000,
      seconds: 1,
      samplesPerSec: 1000,
    });
    const epoch = (runId: string, round: number, n: number) => ({ kind: 'epoch' as const, ...done(runId, round, n) });
    await log.append(done('11', 1, 1), new Date(at(1)));
    await log.append(done('11', 1, 2), new Date(at(2)));
    await fsp.appendFile(epochLogOf(auditLog), '{"time":"2026-11-24T00:00:03.000Z","kind":"epoch","runId":"22","round":1,"epo'); // torn by a crash
    await new EpochLog(auditLog, (message) => expect.fail(message)).append(done('22', 1, 1), new Date(at(200))); // after a restart
    expect(epochLogOf(auditLog)).toBe(path.join(dir, 'federation-audit.epochs.jsonl'));
    const history = await readHistory(auditLog);
    expect(history.run('11')!.epochs.map((e) => [e.round, e.epoch])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(history.run('22')).toEqual({ runId: '22', rounds: [], epochs: [epoch('22', 1, 1)], evaluations: [] });
    expect(history.runs().map((run) => [run.runId, run.rounds])).toEqual([
      ['11', 1],
      ['22', 0],
    ]);
    expect(history.unreadableLines).toBe(1);
  });

  it('reads only the newest lines of a long audit log and epoch log', async () => {
    const lines: string[] = [];
    for (let round = 1; round <= 2500; round++)
      lines.push(...exchange({ runId: round <= 10 ? '11' : '22', type: 'train', round, t: round * 10, values: trained(1) }));
    await writeLines(auditLog, lines);
    const epochs = Array.from({ length: 8000 }, (_, i) =>
      JSON.stringify({
        time: at(i),
        kind: 'epoch',
        runId: '22',
        round: i + 1,
        epoch: 1,
        epochs: 1,
        loss: 1,
        acc: 0.5,
        samples: 10,
        seconds: 1,
        samplesPerSec: 10,
      }),
    );
    await writeLines(epochLogOf(auditLog), epochs);
    const history = await readHistory(auditLog);
    expect(history.runs().map((run) => run.runId)).toEqual(['22']); // run 11's ten rounds are older than what is read
    const newest = history.run('22')!;
    expect(newest.rounds.length).toBe(1000);
    expect(newest.rounds.at(-1)!.round).toBe(2500);
    expect(newest.epochs.length).toBe(1000);
    expect(newest.epochs.at(-1)!.round).toBe(8000);
  });

  it('is empty for a site that has not taken part yet', async () => {
    const history = await readHistory(auditLog);
    expect(history.answer()).toEqual({ runs: [], run: null, unreadableLines: 0 });
  });

  it('takes the outcome a sent line states, and reads it from the reason only in a log written before lines stated it', async () => {
    const reason = 'training stopped: the site ran out of disk';
    await writeLines(auditLog, [
      ...exchange({ runId: '5', type: 'train', round: 1, t: 0, error: reason, outcome: 'aborted' }),
      ...exchange({ runId: '5', type: 'train', round: 2, t: 10, error: reason }),
      ...exchange({ runId: '5', type: 'train', round: 3, t: 20, error: 'not taken: PushMessages failed: UNAVAILABLE', outcome: 'failed' }),
      ...exchange({ runId: '5', type: 'train', round: 4, t: 30, error: 'this site declined "train": it is paused by its operator' }),
    ]);
    const history = await readHistory(auditLog);
    expect(history.run('5')!.rounds.map(({ round, outcome }) => [round, outcome])).toEqual([
      [1, 'aborted'],
      [2, 'failed'],
      [3, 'failed'],
      [4, 'declined'],
    ]);
  });
});
