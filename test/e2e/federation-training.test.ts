// End-to-end (Debian's chromium, the real console and services, the reference aggregator in this process): point the config at the aggregator,
// create the node key and save its public key, join, watch rounds and charts, pause, resume, leave, read the audit log.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../fixtures/corpus.js';
import { startAggregator } from './aggregator.js';
import type { RunningAggregator } from './aggregator.js';
import { openConsole } from './harness.js';
import type { Harness } from './harness.js';
import { AppShell } from './pages/app-shell.js';
import { FederationPage } from './pages/federation-page.js';
import { TrainingPage } from './pages/training-page.js';

/**
 * The example, made quick: the aggregator's MLP instead of the CNN, asking for work twice a second, and TLS as a real
 * site starts (the test turns on insecure through the page, as an operator of a test federation would).
 */
function quickParty(yaml: string): string {
  return yaml
    .replace('builtin: mnist-cnn', 'builtin: mlp')
    .replace(/^ {2}insecure: true.*\n/m, '')
    .replace(/^( {2}key_file: .*\n)/m, '$1  poll_interval: 0.5\n');
}

let dir: string;
let aggregator: RunningAggregator;
let harness: Harness;
let shell: AppShell;
let federation: FederationPage;
let training: TrainingPage;
/** The round this site declined while paused. */
let declined: number;
/** The node key made before joining: the join must use it. */
let created: string;

beforeAll(async () => {
  dir = await tempDir('tributary-e2e-federation-');
  // More rounds than the test watches: once it leaves, the rest wait for nodes until the aggregator closes.
  aggregator = await startAggregator(dir, { rounds: 40 });
  harness = await openConsole({ edit: quickParty });
  shell = new AppShell(harness.page);
  federation = new FederationPage(harness.page);
  training = new TrainingPage(harness.page);
}, 60_000);
afterAll(async () => {
  await harness?.close();
  await aggregator?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('the Federation page', () => {
  it("shows the config's federation section, no node key yet, and a party that is out", async () => {
    await harness.page.getByText('No problems found.').waitFor();
    await shell.goTo('Federation');
    expect(await federation.field('server').inputValue()).toBe('127.0.0.1:9092');
    expect(await federation.field('transport').inputValue()).toBe('grpc');
    expect(await federation.field('insecure').isChecked()).toBe(false);
    expect(await federation.insecureWarning().count()).toBe(0);
    expect(await federation.fingerprint()).toBe('none yet');
    expect(await federation.nodeKeyButton('Create node key').isEnabled()).toBe(true);
    expect(await federation.status().getAttribute('data-stage')).toBe('out');
    expect(await federation.button('Join').isEnabled()).toBe(true);
    expect(await federation.button('Pause').isDisabled()).toBe(true);
    expect(await federation.button('Leave now').isDisabled()).toBe(true);
  });

  it('edits the address and insecure, with each problem beside its field, and saves them into party.yaml', async () => {
    await federation.field('server').fill('');
    await federation.waitForProblemBeside('server', 'missing');
    expect(await federation.button('Join').isDisabled()).toBe(true);
    await federation.field('server').fill(aggregator.address);
    await federation.waitForNoProblemBeside('server');
    await federation.field('insecure').check();
    await federation.insecureWarning().waitFor();
    await federation.field('root_ca').fill('ca.pem');
    await federation.waitForProblemBeside('insecure', 'set either `insecure: true` or `root_ca`, not both');
    await federation.field('root_ca').fill('');
    await federation.waitForNoProblemBeside('insecure');
    await harness.screenshot('09-federation-settings');
    await federation.save();
    const saved = await fsp.readFile(harness.config, 'utf8');
    expect(saved).toContain(`server: ${aggregator.address}`);
    expect(saved).toMatch(/^ {2}insecure: true$/m);
    expect(saved).toContain('# The federation (`tributary party`)');
  });

  it('creates the node key without joining, shows its public key, and saves it beside the config (register: false)', async () => {
    const site = path.dirname(harness.config);
    await federation.nodeKeyButton('Create node key').click();
    created = await federation.waitForFingerprint();
    expect((await fsp.stat(path.join(site, 'node-key.pem'))).mode & 0o777).toBe(0o600);
    expect(await federation.publicKey('pem').inputValue()).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    const openSsh = await federation.publicKey('openssh').inputValue();
    expect(openSsh).toMatch(new RegExp(`^ecdsa-sha2-nistp384 [A-Za-z0-9+/]+=* tributary-node-${created}$`));
    expect(await federation.publicKey('openssh').getAttribute('readonly')).not.toBeNull();
    await federation.nodeKeyButton('Save public key').click();
    const publicKeyFile = path.join(site, 'node-key.pub');
    await federation
      .nodeKeyOutcome()
      .filter({ hasText: `Saved to ${publicKeyFile}.` })
      .waitFor();
    expect(await fsp.readFile(publicKeyFile, 'utf8')).toBe(`${openSsh}\n`);
    await federation.log().getByText(`public key of node key ${created} saved to ${publicKeyFile}`).waitFor();
    await harness.screenshot('15-node-key-created');
  });

  it('asks before a reset, saying what it means, in both themes; Escape keeps the key', async () => {
    for (const theme of ['light', 'dark'] as const) {
      await shell.useTheme(theme);
      await federation.nodeKeyButton('Reset node key…').click();
      const dialog = federation.resetDialog();
      await dialog.waitFor();
      const words = await dialog.innerText();
      expect(words).toContain(
        `Node key ${created} is deleted (in the key file ${path.join(path.dirname(harness.config), 'node-key.pem')})`,
      );
      expect(words).toContain('the server will know this site as a new node');
      expect(await shell.focused()).toBe('button: Cancel'); // the safe choice is the one Enter takes
      await harness.screenshot(theme === 'light' ? '16-node-key-reset' : '17-node-key-reset-dark');
      await harness.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });
    }
    await shell.useTheme('light');
    expect(await federation.fingerprint()).toBe(created);
  });

  it('joins with the key it created: the same fingerprint, and no reset while joined', async () => {
    await federation.button('Join').click();
    await federation.waitForStage('joined');
    expect(await federation.waitForFingerprint()).toBe(created);
    await federation
      .log()
      .getByText(/^.*joined 127\.0\.0\.1:\d+ as node \d+/)
      .waitFor();
    expect(await federation.button('Join').isDisabled()).toBe(true);
    expect(await federation.nodeKeyButton('Reset node key…').isDisabled()).toBe(true);
  });
});

describe('the Training page', () => {
  it('watches rounds progress: the round table fills and the charts get points', async () => {
    await shell.goTo('Training');
    const first = Number(await training.waitForTraining('replied'));
    await harness.page.locator(`tr[data-round="${first}"] td.outcome.replied`).nth(1).waitFor({ timeout: 60_000 }); // its evaluation too
    expect(await training.waitForChartPoints('batch-loss', 0)).toBeGreaterThan(0);
    expect(await training.waitForChartPoints('epoch-acc', 0)).toBeGreaterThan(0);
    expect(await training.waitForChartPoints('round-loss', 1)).toBeGreaterThanOrEqual(2); // local training and the global model
    const round = (await training.rounds()).find((row) => row.round === String(first));
    expect(round).toEqual({ round: String(first), train: 'replied', evaluate: 'replied' });
    await harness.screenshot('10-training');
  });

  it('pauses: the party declines, and the aggregator goes on without this site', async () => {
    await shell.goTo('Federation');
    await federation.button('Pause').click();
    await federation.waitForPhase('paused');
    expect(await federation.button('Resume').isEnabled()).toBe(true);
    await shell.goTo('Training');
    declined = Number(await training.waitForTraining('declined'));
    expect(await training.trainingReason(declined)).toMatch(/^this site declined "train": .*paused/);
    expect(await training.phase()).toBe('paused');
    await expect.poll(() => aggregator.rounds.find((record) => record.round === declined)?.status, { timeout: 30_000 }).toBe('failed');
    await harness.screenshot('11-training-paused');
  });

  it('resumes: the next rounds are trained again', async () => {
    await shell.goTo('Federation');
    await federation.button('Resume').click();
    await shell.goTo('Training');
    const next = Number(await training.waitForTraining('replied', declined));
    expect(next).toBeGreaterThan(declined);
    expect(aggregator.rounds.find((record) => record.round === next)?.status ?? 'completed').toBe('completed');
  });
});

describe('leaving and the audit log', () => {
  it('leaves after the task in hand: the party is out, its key retired', async () => {
    await shell.goTo('Federation');
    await harness.screenshot('12-federation-joined');
    await federation.button('Leave after this task').click();
    await federation.waitForStage('out');
    expect(await federation.status().innerText()).toContain('left the federation');
    await expect.poll(() => federation.fingerprint()).toBe('none yet');
  });

  it('lists what was received and sent, arrays described, the declined round with its reason, bytes reused', async () => {
    const rows = await federation.auditRows();
    expect(rows.some((row) => row.direction === 'received' && row.message === 'train' && row.arrays !== 'none')).toBe(true);
    expect(rows.some((row) => row.direction === 'sent' && row.message === 'train' && row.arrays !== 'none')).toBe(true);
    expect(rows.some((row) => row.direction === 'sent' && row.message === 'evaluate' && row.arrays === 'none')).toBe(true);
    const declinedReply = rows.find((row) => row.direction === 'sent' && row.round === String(declined));
    expect(declinedReply?.error).toContain('paused');
    // Which messages find their model already held depends on where the pause fell; wherever one did, the row says so and explains it.
    for (const row of rows.filter((row) => row.bytes.includes('reused'))) {
      expect(row).toMatchObject({
        direction: 'received',
        bytes: expect.stringMatching(/^\d+(\.\d)? k?B \(\+\d+(\.\d)? [kMG]?B reused\)$/),
        bytesTitle: expect.stringContaining('already held'),
      });
    }
  });

  it('says how many lines of the audit log it could not read (a line torn by a crash, or edited by hand)', async () => {
    await fsp.appendFile(
      path.join(path.dirname(harness.config), 'federation-audit.jsonl'),
      '{"time":"2026-11-24T00:00:00.000Z","direction":"se',
    );
    const before = (await federation.auditRows()).length;
    await federation.refreshAudit();
    await expect
      .poll(() => federation.auditWarning())
      .toBe(
        '1 line of the audit log could not be read and is not shown: a line torn when the party was stopped mid-write, or a line edited by hand.',
      );
    expect((await federation.auditRows()).length).toBe(before);
  });

  it('has a dark theme for both pages', async () => {
    await shell.useTheme('dark');
    await harness.screenshot('13-federation-dark');
    await shell.goTo('Training');
    await harness.screenshot('14-training-dark');
  });

  it('logged no console error, failed request or uncaught exception', () => {
    expect(harness.problems).toEqual([]);
  });
});
