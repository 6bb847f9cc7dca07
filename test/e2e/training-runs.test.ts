// End-to-end (Debian's chromium, the real console and services, the reference aggregator in this process, restarted):
// two federation runs on the Training page, kept apart, and again after the console restarts.
import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/corpus.js';
import { startAggregator } from './aggregator.js';
import type { RunningAggregator } from './aggregator.js';
import { openConsole } from './harness.js';
import type { Harness } from './harness.js';
import { AppShell } from './pages/app-shell.js';
import { FederationPage } from './pages/federation-page.js';
import { TrainingPage } from './pages/training-page.js';

/** The example, made quick and pointed at the aggregator: an MLP, work asked for twice a second, the shortest heartbeat Flower allows. */
const quickParty = (server: string) => (yaml: string) =>
  yaml
    .replace('builtin: mnist-cnn', 'builtin: mlp')
    .replace('server: 127.0.0.1:9092', `server: ${server}`)
    .replace(/^( {2}key_file: .*\n)/m, '$1  poll_interval: 0.5\n  heartbeat_interval: 10\n');

let dir: string;
let first: RunningAggregator;
let second: RunningAggregator | undefined;
let harness: Harness;
let shell: AppShell;
let training: TrainingPage;

/** Waits until the rounds table of `runId` shows round `round` trained and evaluated. */
async function waitForRound(runId: string, round: number): Promise<void> {
  await harness.page
    .locator(`table[data-run="${runId}"] tr[data-round="${round}"] td.outcome.replied`)
    .nth(1)
    .waitFor({ timeout: 120_000 });
}

beforeAll(async () => {
  dir = await tempDir('tributary-e2e-runs-');
  first = await startAggregator(dir, { rounds: 2 });
  harness = await openConsole({ edit: quickParty(first.address), at: '#/federation' });
  shell = new AppShell(harness.page);
  training = new TrainingPage(harness.page);
}, 60_000);
afterAll(async () => {
  await harness?.close();
  await first?.close();
  await second?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('the Training page across two federation runs', () => {
  it(
    'joins the first run and watches its two rounds: the status line and the progress bar agree throughout, the charts say what they count',
    { timeout: 150_000 },
    async () => {
      const federation = new FederationPage(harness.page);
      await training.watchStatusAgainstBar();
      await federation.button('Join').click();
      await federation.waitForStage('joined');
      await shell.goTo('Training');
      await waitForRound(first.runId, 2);
      expect(await training.shownRun()).toBe(first.runId);
      const checks = await training.statusChecks();
      expect(checks.compared).toBeGreaterThan(0);
      expect(checks.differed).toEqual([]);
      // 1000 samples in batches of 100: the last batch of the round sits at 10, however few batches the throttled progress drew.
      expect(Math.max(...(await training.xTicks('batch-loss')))).toBe(10);
      expect(await training.axisTitles('batch-loss')).toEqual({ x: 'batch of round 2 (10 per epoch, 1 epoch)', y: 'loss' });
      expect(await training.axisTitles('epoch-acc')).toEqual({ x: 'round (each epoch at its share of the round)', y: 'accuracy' });
      expect(await training.axisTitles('round-loss')).toEqual({ x: 'round', y: 'loss' });
    },
  );

  it(
    'says the federation finished once the run is over, and once the aggregator has closed, without a raw connection error',
    { timeout: 120_000 },
    async () => {
      await first.done; // its rounds, and its wait for this node to hear the run finished
      await expect.poll(() => shell.partyBadge(), { timeout: 30_000 }).toMatchObject({ title: 'Federation finished' });
      await first.close();
      const log = harness.page.getByRole('list', { name: 'Party log, newest first' });
      await shell.goTo('Federation');
      await log
        .getByText(new RegExp(`federation finished \\(run ${first.runId}, 2 rounds\\); the server has since closed`))
        .waitFor({ timeout: 30_000 });
      await expect
        .poll(() => shell.partyBadge(), { timeout: 30_000 })
        .toMatchObject({ title: 'Federation finished', detail: expect.stringContaining('The server has since closed') });
      expect((await shell.partyBadge()).title).not.toMatch(/ECONNREFUSED|Cannot reach/);
      expect(await log.getByText('lost the connection to the server').count()).toBe(0);
      await harness.screenshot('24-federation-finished');
      await shell.goTo('Training');
    },
  );

  it('the aggregator restarts: the new run counts from round 1 again and is shown apart from the first', { timeout: 180_000 }, async () => {
    second = await startAggregator(dir, { rounds: 2, listen: first.address });
    await waitForRound(second.runId, 2);
    const runs = await training.runs();
    expect(runs).toEqual([
      expect.stringMatching(new RegExp(`^run ${second.runId}, from .*: 2 rounds \\(newest\\)$`)),
      expect.stringMatching(new RegExp(`^run ${first.runId}, from .*: 2 rounds$`)),
    ]);
    // Only this run's rounds: two rows, newest first, and two points per series in the per-round and per-epoch charts.
    expect(await training.rounds()).toEqual([
      { round: '2', train: 'replied', evaluate: 'replied' },
      { round: '1', train: 'replied', evaluate: 'replied' },
    ]);
    expect(await training.chartPoints('round-loss')).toBe(4);
    expect(await training.chartPoints('epoch-loss')).toBe(2);
    await harness.screenshot('21-training-two-runs');

    await training.pickRun(first.runId);
    expect((await training.rounds()).map((row) => row.round)).toEqual(['2', '1']);
    expect(await training.chartPoints('batch-loss')).toBe(0); // batches are drawn live: the newest run's are not this run's
    expect(await training.chartPoints('round-loss')).toBe(4);
    expect(await training.chartPoints('epoch-loss')).toBe(2);
    await harness.screenshot('22-training-earlier-run');
  });

  it('after the console restarts, both runs come back from the audit log and the epoch log', { timeout: 120_000 }, async () => {
    await shell.goTo('Federation');
    await new FederationPage(harness.page).button('Leave now').click();
    await new FederationPage(harness.page).waitForStage('out');
    await harness.page.goto('about:blank');
    await harness.restartConsole();
    await harness.page.goto(`${harness.url}#/training`);
    expect(await training.waitForRuns(2)).toEqual([
      expect.stringContaining(`run ${second!.runId}, `),
      expect.stringContaining(`run ${first.runId}, `),
    ]);
    await harness.page.locator(`table[data-run="${second!.runId}"]`).waitFor();
    expect((await training.rounds()).map((row) => row.round)).toEqual(['2', '1']);
    expect(await training.chartPoints('round-loss')).toBe(4);
    expect(await training.chartPoints('epoch-loss')).toBe(2);
    await harness.screenshot('23-training-after-restart');
  });

  it('logged no console error, failed request or uncaught exception', () => {
    expect(harness.problems).toEqual([]);
  });
});
