// Tests (Node, real files, real sharp): local evaluations kept in the history from the party's evaluation log, bounded, and exported as CSV and PNG.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalEvaluationResult } from '../../../common/local-evaluation.js';
import { EvaluationLog, evaluationLogOf, localEvaluation } from '../../../main/federation/client/evaluation-log.js';
import { exportEvaluation, heatMapPng } from '../../../main/services/evaluation-export.js';
import { readHistory } from '../../../main/services/party-history-files.js';
import { PartyHistory } from '../../../main/services/party-history.js';
import { tempDir } from '../../fixtures/corpus.js';

let dir: string;
let auditLog: string;
beforeEach(async () => {
  dir = await tempDir('tributary-evaluation-');
  auditLog = path.join(dir, 'federation-audit.jsonl');
});
afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

function evaluation(round: number, confusion: number[][], runId = '5'): LocalEvaluationResult {
  const classes = confusion.map((_, c) => `class ${c}`);
  return {
    runId,
    round,
    time: new Date(Date.UTC(2026, 11, 7, 0, round)).toISOString(),
    loss: 1,
    accuracy: 0.5,
    samples: 4,
    classes,
    confusion,
  };
}

describe('the evaluation log and the history', () => {
  it('keeps what the evaluator found, runs apart, across a restart; counts a torn line', async () => {
    const log = new EvaluationLog(auditLog, (message) => expect.fail(message));
    const result = {
      loss: 0.25,
      accuracy: 0.75,
      samples: 4,
      skipped: 0,
      perClass: [
        { name: 'a', accuracy: 1, samples: 2 },
        { name: 'b', accuracy: 0.5, samples: 2 },
      ],
      confusion: [
        [2, 0],
        [1, 1],
      ],
    };
    await log.append(localEvaluation('5', 1, result)!);
    await log.append(
      evaluation(
        1,
        [
          [1, 1],
          [1, 1],
        ],
        '6',
      ),
    );
    await fsp.appendFile(evaluationLogOf(auditLog), '{"runId": "5", "round": 2, "torn');
    await new EvaluationLog(auditLog, () => {}).append(
      localEvaluation('5', 3, {
        ...result,
        confusion: [
          [2, 0],
          [0, 2],
        ],
      })!,
    );
    const history = await readHistory(auditLog);
    expect(history.run('5')!.evaluations.map(({ round, classes, confusion }) => ({ round, classes, confusion }))).toEqual([
      {
        round: 1,
        classes: ['a', 'b'],
        confusion: [
          [2, 0],
          [1, 1],
        ],
      },
      {
        round: 3,
        classes: ['a', 'b'],
        confusion: [
          [2, 0],
          [0, 2],
        ],
      },
    ]);
    expect(history.run('6')!.evaluations).toHaveLength(1);
    expect(history.unreadableLines).toBe(1);
  });

  it('does not keep a matrix of more than 1000 classes', () => {
    const perClass = Array.from({ length: 1001 }, (_, c) => ({ name: String(c), accuracy: null, samples: 0 }));
    expect(localEvaluation('1', 1, { loss: 1, accuracy: 0, samples: 1, skipped: 0, perClass, confusion: [] })).toBeNull();
  });

  it('keeps a re-evaluated round once, and drops the oldest rounds of a run past its bound of cells', () => {
    const history = new PartyHistory();
    const big = (round: number) =>
      evaluation(
        round,
        Array.from({ length: 1000 }, () => new Array<number>(1000).fill(0)),
      );
    for (let round = 1; round <= 6; round++) history.addEvaluation(big(round));
    history.addEvaluation(big(6));
    expect(history.run('5')!.evaluations.map(({ round }) => round)).toEqual([3, 4, 5, 6]);
  });
});

describe('exportEvaluation', () => {
  const rounds = [
    evaluation(1, [
      [1, 1],
      [2, 0],
    ]),
    evaluation(2, [
      [2, 0],
      [0, 2],
    ]),
  ];

  it("returns per-class CSV of every round for a download, and saves a chosen round's matrix where asked", async () => {
    const download = await exportEvaluation(rounds, { format: 'per-class-csv' });
    expect(download).toMatchObject({ fileName: 'tributary-run-5-per-class.csv', mediaType: 'text/csv', savedTo: null });
    expect(Buffer.from(download.base64!, 'base64').toString().split('\r\n')).toHaveLength(1 + 4 + 1);
    const saveTo = path.join(dir, 'matrix.csv');
    const saved = await exportEvaluation(rounds, { format: 'confusion-csv', round: 1, saveTo });
    expect(saved).toMatchObject({ savedTo: saveTo, base64: null, fileName: 'tributary-run-5-round-1-confusion.csv' });
    expect(await fsp.readFile(saveTo, 'utf8')).toBe('true \\ predicted,class 0,class 1\r\nclass 0,1,1\r\nclass 1,2,0\r\n');
  });

  it('refuses a relative path, a round not kept, and a run with nothing evaluated, saying which', async () => {
    await expect(exportEvaluation(rounds, { format: 'confusion-png', saveTo: 'x.png' })).rejects.toThrow(/absolute path, not "x.png"/);
    await expect(exportEvaluation(rounds, { format: 'confusion-png', round: 9 })).rejects.toThrow(/round 9 of run 5/);
    await expect(exportEvaluation([], { format: 'per-class-csv' })).rejects.toThrow(/no evaluation/);
  });

  it('draws the heat map by row share: a full diagonal cell deep blue, an empty cell white', async () => {
    const png = await heatMapPng([
      [3, 0],
      [1, 1],
    ]);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([600, 600]);
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    expect(pixel(150, 150)).toEqual([8, 48, 107]); // row 0, column 0: 3 of 3
    expect(pixel(450, 150)).toEqual([255, 255, 255]); // row 0, column 1: none
    expect(pixel(150, 450)).toEqual([132, 152, 181]); // row 1: half each
  });
});
