// Tests (Node, real files): a run's task summarised from its message, held to the review bounds, and reviewed: waiting, approved from
// another process's decision, cancelled, timed out, declined for good; the decisions file bounded and refused when damaged.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReviewSectionSchema } from '../../../../common/review-config.js';
import { PrivacySectionSchema } from '../../../../common/privacy-config.js';
import { AuditLog, readAuditLog } from '../../../../main/federation/client/audit-log.js';
import {
  DecisionsUnreadable,
  KEPT_DECISIONS,
  ReviewDecisions,
  type RunDecision,
} from '../../../../main/federation/client/review-decisions.js';
import { RoundConfigRefused } from '../../../../main/federation/client/round-config.js';
import type { WorkTask } from '../../../../main/federation/client/task.js';
import { TaskReview, type ReviewHooks } from '../../../../main/federation/client/task-review.js';
import { outsideBounds, pastRounds, summariseTask } from '../../../../main/federation/client/task-summary.js';
import { checkRequest } from '../../../../main/federation/privacy/policy.js';

const arrays = [
  { name: 'dense/kernel', array: { dtype: 'float32' as const, shape: [3, 2], data: new Float32Array(6) } },
  { name: 'dense/bias', array: { dtype: 'float32' as const, shape: [2], data: new Float32Array(2) } },
];
const trainTask = (config: Record<string, unknown> = {}): WorkTask => ({
  kind: 'train',
  style: 'message',
  arraysKey: 'arrays',
  arrays,
  config: new Map(Object.entries(config)) as WorkTask['config'],
});
const facts = { defaults: { learningRate: 0.001, batchSize: 32 }, localEpochs: 2 };
const where = { runId: '7', round: 1, secure: false };

describe('summariseTask', () => {
  it("says what the server asks, and the site's own settings for what it does not", () => {
    const asked = summariseTask(trainTask({ 'local-epochs': 3n, lr: 0.05, 'num-server-rounds': 10n }), where, {
      ...facts,
      modelName: 'mlp',
    });
    expect(asked).toEqual({
      runId: '7',
      messageType: 'train',
      round: 1,
      rounds: 10,
      model: { name: 'mlp', arrays: 2, parameters: 8 },
      localEpochs: 3,
      learningRate: 0.05,
      batchSize: 32,
      setByServer: ['local epochs', 'learning rate'],
      sends: ['the trained weights (2 arrays, 8 parameters)', 'train_loss', 'train_acc', 'num-examples'],
    });
    const own = summariseTask(trainTask(), { ...where, secure: true }, { ...facts, modelName: null });
    expect(own).toMatchObject({ rounds: null, localEpochs: 2, learningRate: 0.001, batchSize: 32, setByServer: [] });
    expect(own.sends[0]).toBe('the trained weights (2 arrays, 8 parameters, masked by secure aggregation)');
  });

  it('an evaluate task trains nothing and sends metrics only', () => {
    const evaluate = summariseTask({ ...trainTask({ 'batch-size': 16n }), kind: 'evaluate' }, where, { ...facts, modelName: null });
    expect(evaluate).toMatchObject({
      messageType: 'evaluate',
      localEpochs: null,
      learningRate: null,
      batchSize: 16,
      setByServer: ['batch size'],
    });
    expect(evaluate.sends).toEqual(['eval_loss', 'eval_acc', 'num-examples']);
  });

  it('refuses a number of rounds that is no whole number, naming the key', () => {
    expect(() => summariseTask(trainTask({ num_rounds: 2.5 }), where, { ...facts, modelName: null })).toThrow(
      new RoundConfigRefused('config "num_rounds": expected a whole number of rounds, got 2.5'),
    );
  });
});

describe('review bounds', () => {
  const bounds = ReviewSectionSchema.parse({
    mode: 'auto_within_bounds',
    bounds: { learning_rate: { min: 0.001, max: 0.1 }, max_epochs: 2, batch_sizes: [32], max_parameters: 8, max_rounds: 5 },
  }).bounds;
  const check = (config: Record<string, unknown>, parameters = arrays) => {
    const task = { ...trainTask(config), arrays: parameters };
    return outsideBounds(bounds, summariseTask(task, where, { ...facts, modelName: null }), task.config);
  };

  it("holds each setting to its bound, in the privacy policy's words with review's name", () => {
    expect(check({ lr: 0.01, 'local-epochs': 2n, 'batch-size': 32n, 'num-server-rounds': 5n })).toBeNull();
    expect(check({ lr: 0.5 })).toBe('config "lr" = 0.5 is outside the learning rates this site\'s review bounds allows (0.001 to 0.1)');
    expect(check({ 'local-epochs': 3n })).toBe(
      'config "local-epochs" = 3 asks for more local epochs than this site\'s review bounds allows (2)',
    );
    expect(check({ 'batch-size': 64n })).toBe('config "batch-size" = 64 is not a batch size this site\'s review bounds allows (32)');
    expect(check({ 'num-server-rounds': 6n })).toBe("the run has 6 rounds, more than this site's review bounds allow (5)");
    expect(check({}, [...arrays, arrays[1]!])).toBe("the model has 10 parameters, more than this site's review bounds allow (8)");
  });

  it('a round past max_rounds is outside, whether or not the server said how many', () => {
    expect(pastRounds(bounds, 5)).toBeNull();
    expect(pastRounds(bounds, null)).toBeNull();
    expect(pastRounds(bounds, 6)).toBe("round 6 is past the 5 rounds this site's review bounds allow");
  });

  it('the privacy policy keeps its own words', () => {
    const policy = PrivacySectionSchema.parse({ server_may_set: { max_epochs: 1 } });
    expect(checkRequest(policy, { kind: 'train', secure: false, config: { epochs: 2 } })).toBe(
      'config "epochs" = 2 asks for more local epochs than the site\'s privacy policy allows (1)',
    );
  });

  it('a section asks by default, and auto approval needs a bound', () => {
    expect(ReviewSectionSchema.parse({}).mode).toBe('ask');
    const refused = ReviewSectionSchema.safeParse({ mode: 'auto_within_bounds' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({ path: ['bounds'], message: expect.stringContaining('say `mode: off` instead') });
    expect(ReviewSectionSchema.safeParse({ bounds: { max_rounds: 0 } }).success).toBe(false);
    expect(ReviewSectionSchema.safeParse({ bounds: { max_param: 3 } }).error?.issues[0]).toMatchObject({
      code: 'unrecognized_keys',
      path: ['bounds'],
    });
  });
});

const decision = (runId: string, over: Partial<RunDecision> = {}): RunDecision => ({
  runId,
  decision: 'approved',
  by: 'operator',
  reason: null,
  at: '2026-12-07T12:00:00.000Z',
  task: null,
  ...over,
});

describe('ReviewDecisions', () => {
  it('keeps one decision per run, the newest KEPT_DECISIONS, and refuses a damaged file by name', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'tributary-decisions-')), 'audit.jsonl.review.json');
    const decisions = new ReviewDecisions(file);
    expect(await decisions.read()).toEqual([]);
    await decisions.record(decision('1'));
    await decisions.record(decision('1', { decision: 'declined', reason: 'no' }));
    expect(await decisions.read()).toEqual([decision('1', { decision: 'declined', reason: 'no' })]);
    for (let run = 2; run <= KEPT_DECISIONS + 5; run++) await decisions.record(decision(String(run)));
    const kept = await decisions.read();
    expect(kept).toHaveLength(KEPT_DECISIONS);
    expect(kept[0]!.runId).toBe('6');
    await writeFile(file, '{"version": 1, "runs": [{"runId": "x"}]}');
    await expect(decisions.read()).rejects.toThrow(new DecisionsUnreadable(`review decisions ${file}: runs[0] is not a decision`));
    await writeFile(file, 'not json');
    await expect(decisions.find('1')).rejects.toThrow(DecisionsUnreadable);
  });
});

async function reviewIn(section: object) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-review-'));
  const audit = new AuditLog(path.join(dir, 'audit.jsonl'));
  const said: string[] = [];
  let stop = false;
  const hooks: ReviewHooks = {
    audit,
    onWaiting: (pending) => said.push(`waiting ${pending.task.runId}`),
    stopRequested: () => stop,
    notice: (message) => said.push(message),
    error: (message) => said.push(`error: ${message}`),
  };
  const review = new TaskReview(ReviewSectionSchema.parse(section), path.join(dir, 'audit.jsonl.review.json'), 'mlp', hooks);
  const waiting = () => new Promise<void>((resolve) => review.once('changed', () => resolve()));
  return { review, said, dir, waiting, stopNow: () => (stop = true), lines: () => readAuditLog(audit.file) };
}

describe('TaskReview', () => {
  it('a decision written by another process (tributary approve) settles the task waiting', async () => {
    const { review, said, dir, waiting } = await reviewIn({});
    const changed = waiting();
    const admitted = review.admit(trainTask(), where, facts);
    await changed;
    expect(said).toContain('waiting 7');
    await new ReviewDecisions(path.join(dir, 'audit.jsonl.review.json')).record(decision('7'));
    expect(await admitted).toBeNull();
    expect(review.pending).toBeNull();
  });

  it('a stop, a cancel and a deadline each end the wait without deciding the run', async () => {
    const { review, stopNow, waiting, lines } = await reviewIn({ max_wait: 1.2 });
    expect(await review.admit(trainTask(), where, facts)).toBe('not approved in time (waited 1 s for the operator)');
    const cancelled = review.admit(trainTask(), where, facts);
    await waiting();
    review.cancel('it is leaving the federation');
    expect(await cancelled).toBe('it is leaving the federation');
    const stopped = review.admit(trainTask(), where, facts);
    stopNow();
    expect(await stopped).toBe('the task in hand was stopped (the site left, or lost the server)');
    expect((await review.view()).decisions).toEqual([]);
    expect((await lines()).map((line) => line.review && [line.review.state, line.review.by])).toEqual([
      ['waiting', null],
      ['declined', 'timeout'],
      ['waiting', null],
      ['declined', 'cancelled'],
      ['waiting', null],
      ['declined', 'cancelled'],
    ]);
  });

  it("a run declined ahead of time is declined at once, every message of it; other runs' queries pass", async () => {
    const { review } = await reviewIn({});
    await review.decide('7', false, '  a\n  reason  ');
    const declined = "run 7 was declined by this site's operator: a reason";
    expect(await review.admit(trainTask(), where, facts)).toBe(declined);
    expect(await review.declinedRun('7')).toBe(declined);
    expect(await review.declinedRun('8')).toBeNull();
    expect(await review.admit({ kind: 'get_parameters', style: 'legacy' }, where, facts)).toBe(declined);
    expect(await review.admit({ kind: 'get_properties', style: 'legacy' }, { ...where, runId: '8' }, facts)).toBeNull();
    await review.decide('7', true);
    expect(await review.declinedRun('7')).toBeNull();
    expect(await review.admit(trainTask(), where, facts)).toBeNull();
    expect((await review.view()).decisions.map((run) => [run.runId, run.decision, run.reason])).toEqual([['7', 'approved', null]]);
  });

  it('a run approved within bounds has a round past max_rounds declined; mode off serves everything', async () => {
    const { review } = await reviewIn({ mode: 'auto_within_bounds', bounds: { max_rounds: 2 } });
    expect(await review.admit(trainTask(), where, facts)).toBeNull();
    expect(await review.admit(trainTask(), { ...where, round: 3 }, facts)).toBe(
      "round 3 is past the 2 rounds this site's review bounds allow",
    );
    const { review: off } = await reviewIn({ mode: 'off' });
    expect(await off.admit(trainTask(), where, facts)).toBeNull();
  });

  it('a damaged decisions file approves nothing, and says so', async () => {
    const { review, said, dir } = await reviewIn({ max_wait: 0.2 });
    await writeFile(path.join(dir, 'audit.jsonl.review.json'), '{');
    expect(await review.admit(trainTask(), where, facts)).toMatch(/^not approved in time/);
    expect(said.find((line) => line.startsWith('error: '))).toMatch(/is not JSON .*runs are reviewed as if never decided$/);
    expect((await review.view()).problem).toMatch(/is not JSON/);
    expect(await readFile(path.join(dir, 'audit.jsonl.review.json'), 'utf8')).toBe('{');
  });
});
