// Tests (Node): task review in words: the task's lines (the site's own settings marked), the mode with its bounds, runs decided, audit lines.
import { describe, expect, it } from 'vitest';
import type { ReviewStatus, TaskSummaryView } from '../../../../common/contract/review-api.js';
import type { PartyStatus } from '../../../../common/contract/party-api.js';
import { auditRows } from '../../../../renderer/features/federation/audit-rows.js';
import { statusWords } from '../../../../renderer/features/federation/party-words.js';
import { auditReview, decisionWords, modeWords, taskLines } from '../../../../renderer/features/federation/review-words.js';

const task: TaskSummaryView = {
  runId: '42',
  messageType: 'train',
  round: 1,
  rounds: null,
  model: { name: 'mlp', arrays: 4, parameters: 101_770 },
  localEpochs: 1,
  learningRate: 0.01,
  batchSize: 64,
  setByServer: ['local epochs', 'learning rate'],
  sends: ['the trained weights (4 arrays, 101770 parameters)', 'train_loss', 'train_acc', 'num-examples'],
};
const status = (over: Partial<ReviewStatus>): ReviewStatus => ({
  mode: 'ask',
  bounds: {},
  pending: null,
  decisions: [],
  problem: null,
  ...over,
});

describe('review words', () => {
  it("lists what the task asks, marking the settings that are the site's own", () => {
    expect(taskLines(task)).toEqual([
      { label: 'Model', text: 'mlp: 101,770 parameters in 4 arrays' },
      { label: 'Rounds', text: 'not said by the server; this is round 1' },
      { label: 'Local epochs', text: '1' },
      { label: 'Learning rate', text: '0.01' },
      { label: 'Batch size', text: "64 (this site's own)" },
      { label: 'Sent back', text: 'the trained weights (4 arrays, 101770 parameters), train_loss, train_acc, num-examples' },
    ]);
    expect(taskLines({ ...task, messageType: 'evaluate', localEpochs: null, rounds: 5, round: null })[1]).toEqual({
      label: 'Rounds',
      text: '5',
    });
  });

  it('says the mode, with the bounds it approves within', () => {
    expect(modeWords(status({ mode: null }))).toMatch(/^Shown once the party has joined/);
    expect(modeWords(status({ mode: 'off' }))).toMatch(/^Task review is off/);
    expect(
      modeWords(
        status({ mode: 'auto_within_bounds', bounds: { learning_rate: { min: 0.001, max: 0.1 }, max_parameters: 200_000, max_rounds: 3 } }),
      ),
    ).toBe(
      'A run within these bounds is approved without asking: learning rate 0.001 to 0.1, at most 200,000 parameters, at most 3 rounds. ' +
        'Any other waits for your approval.',
    );
  });

  it('says who decided a run and why, and what a review line of the audit log means', () => {
    const at = '2026-12-07T12:00:00.000Z';
    expect(decisionWords({ runId: '1', decision: 'declined', by: 'operator', reason: 'not ours', at, task: null })).toMatch(
      /^Declined by the operator, .+: not ours$/,
    );
    expect(decisionWords({ runId: '1', decision: 'approved', by: 'bounds', reason: null, at, task })).toMatch(
      /^Approved within the review bounds, /,
    );
    expect(auditReview({ state: 'waiting', by: null, reason: null, task })).toBe("task review: waiting for the operator's approval");
    expect(auditReview({ state: 'declined', by: 'timeout', reason: 'not approved in time (waited 5 s for the operator)' })).toBe(
      'task review: declined (not answered in time): not approved in time (waited 5 s for the operator)',
    );
    const [row] = auditRows([
      {
        time: at,
        direction: 'received',
        messageType: 'train',
        round: 1,
        group: '1',
        messageId: 'm',
        replyTo: null,
        arrays: [],
        values: {},
        bytes: 0,
        error: null,
        review: { state: 'approved', by: 'operator', reason: null },
      },
    ]);
    expect(row!.values).toBe('task review: approved (by the operator)');
  });

  it('the party waiting for approval is the attention phase the Training page shows too', () => {
    const joined: PartyStatus = {
      stage: 'joined',
      state: { type: 'reviewing', runId: '42', round: 1, deadline: '2026-12-07T13:00:00.000Z' },
      pauseRequested: false,
      leaving: null,
      run: null,
      file: null,
      node: null,
      federation: null,
      backend: null,
      model: null,
    };
    expect(statusWords(joined)).toMatchObject({
      phase: 'reviewing',
      title: 'Waiting for approval',
      detail: expect.stringMatching(/^Run 42 asks this site to train: approve or decline it under Task review on the Federation page, by /),
      tone: 'attention',
    });
  });
});
