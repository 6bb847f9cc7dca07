// End-to-end (Debian's chromium, the real console and services, the reference aggregator over TLS in this process): a new operator's
// whole first run: a console started with no config, New site from the data folder, party.yaml written, the coordinator's invitation
// opened and applied (CA pinned, model and node key filled in), Join, the federation's task approved, and the site's first round
// completed; a screenshot per step.
import { generateKeyPairSync } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitationModelOf, writeAggregatorInvitation } from '../../main/cli/aggregator-invite.js';
import { loadPartyConfig } from '../../main/config/party-config.js';
import { makeTestCertificates } from '../main/federation/transport/fixtures.js';
import { startAggregator } from './aggregator.js';
import type { RunningAggregator } from './aggregator.js';
import { openConsole } from './harness.js';
import type { Harness } from './harness.js';
import { AppShell } from './pages/app-shell.js';
import { DatasetPage } from './pages/dataset-page.js';
import { FederationPage } from './pages/federation-page.js';
import { TaskReviewPanel } from './pages/task-review-panel.js';

let aggregator: RunningAggregator;
let harness: Harness;
let page: Page;
const file = (name: string) => path.join(harness.dir, name);
const screenshot = (name: string) => harness.screenshot(`first-round-${name}`);

beforeAll(async () => {
  harness = await openConsole({ empty: true });
  page = harness.page;
  await fsp.cp(path.resolve('assets/fashion-mnist-sample'), file('data'), { recursive: true });
  const certs = makeTestCertificates(harness.dir);
  aggregator = await startAggregator(harness.dir, { rounds: 40, tls: { cert: certs.certFile, key: certs.keyFile } });
  // The coordinator's side: its signing key, and the invitation the aggregator writes (its model, mlp, named in it).
  await fsp.writeFile(file('coordinator.key'), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeAggregatorInvitation(
    { invite: file('invite.txt'), 'invite-key': file('coordinator.key'), 'invite-ca': certs.caFile, 'invite-name': 'First study' },
    { grpc: aggregator.address, runDir: harness.dir },
    invitationModelOf(aggregator.config.model),
  );
}, 60_000);
afterAll(async () => {
  await aggregator?.close();
  await harness?.close();
});

describe('a new site, from an empty start to its first round', () => {
  it('New site: the data folder recognised and scanned, party.yaml written, the Dataset page open on it', async () => {
    await page.getByRole('heading', { level: 1, name: 'Start' }).waitFor();
    await screenshot('01-empty-start');
    await page.getByLabel('Data folder').fill(file('data'));
    await page.getByRole('button', { name: 'Recognise' }).click();
    await page.getByRole('heading', { name: 'Proposal: ImageFolder' }).waitFor();
    await new DatasetPage(page).split('test').waitFor({ timeout: 60_000 });
    await screenshot('02-proposal-and-scan');
    await page.getByLabel('Write party.yaml to').fill(harness.config);
    await page.getByRole('button', { name: 'Write and open' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dataset' }).waitFor();
    expect((await loadPartyConfig(harness.config)).config).not.toHaveProperty('model');
    await screenshot('03-dataset');
  });

  it("opens the coordinator's invitation on the Federation page: what it trusts, the model it trains", async () => {
    await new AppShell(page).goTo('Federation');
    await page.getByRole('button', { name: 'Open invitation' }).click();
    await page.getByLabel('or open its file').setInputFiles(file('invite.txt'));
    await page.getByTestId('invitation-model').waitFor();
    expect(await page.getByTestId('invitation-model').innerText()).toBe('mlp');
    await screenshot('04-invitation-opened');
  });

  it('applies it: CA pinned, federation and model filled in, node key made', async () => {
    await page.getByRole('button', { name: 'Apply to this config' }).click();
    await page.getByTestId('pinned-ca').waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'Applied.' }).innerText()).toContain("trains the federation's model, mlp");
    const { config } = await loadPartyConfig(harness.config);
    expect(config.model).toMatchObject({ builtin: 'mlp' });
    expect(config.federation).toMatchObject({ server: aggregator.address, transport: 'grpc', insecure: false });
    await screenshot('05-invitation-applied');
    await page.getByRole('button', { name: 'Done' }).click();
  });

  it("joins and is shown the federation's task before it trains (a new site asks: review: {mode: ask})", async () => {
    expect((await loadPartyConfig(harness.config)).config.review).toMatchObject({ mode: 'ask' });
    await new FederationPage(page).button('Join').click();
    const { runId, lines } = await new TaskReviewPanel(page).waitForPending();
    expect(runId).toBe(aggregator.runId);
    expect(Object.values(lines).join(' ')).toContain('101,770');
    await screenshot('06-task-review');
  }, 90_000);

  it('approved for the run, takes part in its first round, which the aggregator completes with it', async () => {
    const federation = new FederationPage(page);
    const review = new TaskReviewPanel(page);
    await review.button('Approve for this run').click();
    await review.waitForDecision(aggregator.runId, 'approved');
    await expect
      .poll(() => aggregator.rounds.some((round) => round.status === 'completed' && round.train.replied.length > 0), {
        timeout: 120_000,
        interval: 500,
      })
      .toBe(true);
    await screenshot('07-first-round');
    await new AppShell(page).goTo('Training');
    await page.getByRole('heading', { level: 1, name: 'Training' }).waitFor();
    await screenshot('08-training');
    await new AppShell(page).goTo('Federation');
    await federation.button('Leave now').click();
    await federation.waitForStage('out');
    expect(harness.problems).toEqual([]);
  }, 180_000);
});
