// End-to-end (Debian's chromium, the real console and services, the reference aggregator in this process): a site joined
// outside its schedule declines the rounds, and the Federation page says when the next window opens and why it declined.
import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WEEKDAYS } from '../../common/schedule-config.js';
import { tempDir } from '../fixtures/corpus.js';
import { startAggregator, type RunningAggregator } from './aggregator.js';
import { openConsole, type Harness } from './harness.js';
import { FederationPage } from './pages/federation-page.js';

/** Two days on from today (UTC): a window that is certainly closed now, whatever the hour the test runs. */
const day = WEEKDAYS[(new Date().getUTCDay() + 6 + 2) % 7]!;
const dayName = `${day[0]!.toUpperCase()}${day.slice(1)}`;

let dir: string;
let aggregator: RunningAggregator;
let harness: Harness;

beforeAll(async () => {
  dir = await tempDir('tributary-e2e-schedule-');
  aggregator = await startAggregator(dir, { rounds: 40 });
  const schedule = `schedule:\n  timezone: UTC\n  windows:\n    - { days: [${day}], from: "03:00", to: "04:00" }\n`;
  harness = await openConsole({
    edit: (yaml) =>
      yaml
        .replace('builtin: mnist-cnn', 'builtin: mlp')
        .replace('server: 127.0.0.1:9092', `server: ${aggregator.address}`)
        .replace(/^( {2}key_file: .*\n)/m, '$1  poll_interval: 0.5\n')
        .replace(/^( {2}backend: auto.*\n)/m, '$1  threads: 1\n')
        .concat(schedule),
    at: '#/federation',
  });
}, 60_000);
afterAll(async () => {
  await harness?.close();
  await aggregator?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

it(
  'joined outside its window: shows the schedule, the next window, the thread limit, and the round it declined',
  { timeout: 120_000 },
  async () => {
    const federation = new FederationPage(harness.page);
    await federation.button('Join').click();
    await federation.waitForStage('joined');
    const panel = harness.page.getByRole('region', { name: 'Schedule and resource limits' });
    await panel.getByText(`${dayName}, 03:00 to 04:00`).waitFor();
    expect(await federation.scheduleNow().innerText()).toMatch(
      new RegExp(`^Outside the schedule: every message is declined\\. Next window opens ${dayName} 03:00 \\(UTC\\), in \\d`),
    );
    expect(await panel.innerText()).toMatch(/Engine threads\s+1 of \d+ cores? \(training\.threads\)/);
    await federation
      .scheduleDeclined()
      .filter({
        hasText: `: this site declined "train": outside this site's training schedule; next window opens ${dayName} 03:00 (UTC)`,
      })
      .waitFor({ timeout: 60_000 });
    // The status line and the header's badge say so too, not "Waiting for the next round".
    await expect
      .poll(() => harness.page.locator('.status[data-stage]').innerText(), { timeout: 30_000, interval: 250 })
      .toMatch(
        new RegExp(
          `^Outside the training schedule\\s+Connected as node \\d+; every round is declined until the next window opens, ${dayName} 03:00 \\(UTC\\)`,
        ),
      );
    expect(await harness.page.getByRole('link', { name: 'Federation: Outside the training schedule' }).count()).toBe(1);
    await harness.screenshot('40-federation-schedule-outside');
    expect(aggregator.rounds[0]?.status ?? 'failed').toBe('failed');
    await federation.button('Leave now').click();
    await federation.waitForStage('out');
    expect(harness.problems).toEqual([]);
  },
);
