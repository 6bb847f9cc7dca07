// End-to-end (Debian's chromium, the real console and services, the reference aggregator in this process): a site whose config
// asks before it trains joins; the run's task waits on the Federation page (and the Training page says so); approved there, it trains.
import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/corpus.js';
import { startAggregator, type RunningAggregator } from './aggregator.js';
import { openConsole, type Harness } from './harness.js';
import { AppShell } from './pages/app-shell.js';
import { FederationPage } from './pages/federation-page.js';
import { TaskReviewPanel } from './pages/task-review-panel.js';
import { TrainingPage } from './pages/training-page.js';

/** The example made quick (the aggregator's MLP, asking for work twice a second), pointed at the aggregator, with task review on. */
function reviewedParty(address: string): (yaml: string) => string {
  return (yaml) =>
    `${yaml
      .replace('builtin: mnist-cnn', 'builtin: mlp')
      .replace(/^( {2}server: )\S+/m, `$1${address}`)
      .replace(/^( {2}key_file: .*\n)/m, '$1  poll_interval: 0.5\n')}review:\n  mode: ask\n`;
}

let dir: string;
let aggregator: RunningAggregator;
let harness: Harness;
let shell: AppShell;
let federation: FederationPage;
let review: TaskReviewPanel;
let training: TrainingPage;

beforeAll(async () => {
  dir = await tempDir('tributary-e2e-review-');
  aggregator = await startAggregator(dir, { rounds: 40 });
  harness = await openConsole({ edit: reviewedParty(aggregator.address) });
  shell = new AppShell(harness.page);
  federation = new FederationPage(harness.page);
  review = new TaskReviewPanel(harness.page);
  training = new TrainingPage(harness.page);
}, 60_000);
afterAll(async () => {
  await harness?.close();
  await aggregator?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('task review', () => {
  it("shows the run's task waiting for approval once the party has joined, on the Federation and Training pages", async () => {
    await harness.page.getByText('No problems found.').waitFor();
    await shell.goTo('Federation');
    await review
      .region()
      .getByText(/^Shown once the party has joined/)
      .waitFor();
    await federation.button('Join').click();
    await federation.waitForStage('joined');
    const { runId, lines } = await review.waitForPending();
    expect(runId).toBe(aggregator.runId);
    expect(lines).toEqual({
      Model: 'mlp: 101,770 parameters in 4 arrays',
      Rounds: 'not said by the server; this is round 1',
      'Local epochs': '1',
      'Learning rate': '0.01',
      'Batch size': '100',
      'Sent back': 'the trained weights (4 arrays, 101770 parameters), train_loss, train_acc, num-examples',
    });
    await federation.waitForPhase('reviewing');
    expect(await federation.status().innerText()).toContain('Waiting for approval');
    await review
      .region()
      .getByText(/^Each federation run waits for your approval/)
      .waitFor();
    await harness.screenshot('50-task-review-waiting');
    await shell.goTo('Training');
    expect(await training.phase()).toBe('reviewing');
    await harness.screenshot('51-training-waiting-for-approval');
  });

  it('approves the task for this run: it is remembered, and the run trains', async () => {
    await shell.goTo('Federation');
    await review.button('Approve for this run').click();
    expect(await review.waitForDecision(aggregator.runId, 'approved')).toMatch(
      new RegExp(`^Run ${aggregator.runId} Approved by the operator, `),
    );
    await review.pending().waitFor({ state: 'detached' });
    await shell.goTo('Training');
    await training.waitForTraining('replied');
    await shell.goTo('Federation');
    await federation.refreshAudit();
    const audit = harness.page.getByRole('region', { name: 'What left this site' });
    await audit.getByText('task review: approved (by the operator)').waitFor();
    await audit.getByText("task review: waiting for the operator's approval").waitFor();
    const saved = JSON.parse(await fsp.readFile(harness.config.replace(/party\.yaml$/, 'federation-audit.jsonl.review.json'), 'utf8'));
    expect(saved.runs).toMatchObject([{ runId: aggregator.runId, decision: 'approved', by: 'operator' }]);
    await harness.screenshot('52-task-review-approved');
    await federation.button('Leave now').click();
    await federation.waitForStage('out');
  });

  it("declines a new run's task with a reason: the server is told, and the run stays declined", async () => {
    const address = aggregator.address;
    await aggregator.close();
    aggregator = await startAggregator(dir, { rounds: 40, listen: address }); // restarted: a new run
    await federation.button('Join').click();
    const { runId } = await review.waitForPending();
    expect(runId).toBe(aggregator.runId);
    await review.reason().fill('not the model our ethics board approved');
    await review.button('Decline').click();
    expect(await review.waitForDecision(runId, 'declined')).toMatch(
      /Declined by the operator, .+: not the model our ethics board approved$/,
    );
    await shell.goTo('Training');
    const round = Number(await training.waitForTraining('declined'));
    expect(await training.trainingReason(round)).toBe(
      `this site declined "train": run ${runId} was declined by this site's operator: not the model our ethics board approved`,
    );
    await shell.goTo('Federation');
    await harness.screenshot('53-task-review-declined');
    await federation.button('Leave now').click();
    await federation.waitForStage('out');
    expect(harness.problems).toEqual([]);
  }, 90_000);
});
