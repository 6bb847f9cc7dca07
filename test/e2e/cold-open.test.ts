// End-to-end (Debian's chromium, the real console and services): each page opened cold (a bookmark, a reload) shows its state at once:
// the node key, the audit log, the preview, the runs.
import { generateKeyPairSync } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKeyFingerprint } from '../../main/federation/transport/node-identity.js';
import { openConsole } from './harness.js';
import type { Harness } from './harness.js';
import { FederationPage } from './pages/federation-page.js';
import { PreviewPage } from './pages/preview-page.js';
import { TrainingPage } from './pages/training-page.js';
import { auditLine } from './site-files.js';

let harness: Harness;
let federation: FederationPage;
/** The fingerprint of the key the site already has. */
let fingerprint: string;

/** A site that took part before: its node key, and an audit log of one round (train and evaluate, received and sent). */
async function siteThatTookPart(dir: string): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  await fsp.writeFile(path.join(dir, 'node-key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fingerprint = publicKeyFingerprint(Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })));
  const run = { runId: '904435318632320104', startedAt: Date.parse('2026-11-24T00:40:00.000Z') };
  const lines = [
    auditLine(run, { direction: 'received', messageType: 'train', round: 1, at: 0 }),
    auditLine(run, {
      direction: 'sent',
      messageType: 'train',
      round: 1,
      at: 4,
      metrics: { train_loss: 0.61, train_acc: 0.77, 'num-examples': 1000 },
    }),
    auditLine(run, { direction: 'received', messageType: 'evaluate', round: 1, at: 5 }),
    auditLine(run, {
      direction: 'sent',
      messageType: 'evaluate',
      round: 1,
      at: 6,
      metrics: { eval_loss: 0.7, eval_acc: 0.74, 'num-examples': 200 },
    }),
  ];
  await fsp.writeFile(path.join(dir, 'federation-audit.jsonl'), `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  harness = await openConsole({ site: siteThatTookPart, at: '#/federation' });
  federation = new FederationPage(harness.page);
}, 60_000);
afterAll(() => harness?.close());

describe('a page opened cold', () => {
  it('Federation: the node key the site has and the audit log it wrote, without visiting another page first', async () => {
    await harness.page.getByRole('heading', { level: 1, name: 'Federation' }).waitFor();
    expect(await federation.waitForFingerprint()).toBe(fingerprint);
    await expect
      .poll(async () => (await federation.auditRows()).map((row) => `${row.direction} ${row.message} ${row.round}`))
      .toEqual(['sent evaluate 1', 'received evaluate 1', 'sent train 1', 'received train 1']);
    expect(await federation.auditLogPath()).toBe(path.join(path.dirname(harness.config), 'federation-audit.jsonl'));
    await harness.screenshot('20-federation-cold-open');
  });

  it('Federation, reloaded: the same key and log', async () => {
    await harness.page.reload();
    expect(await federation.waitForFingerprint()).toBe(fingerprint);
    await expect.poll(async () => (await federation.auditRows()).length).toBe(4);
  });

  it('Preview: samples drawn from the saved config as soon as it is open', async () => {
    await harness.page.goto('about:blank');
    await harness.page.goto(`${harness.url}#/preview`);
    const samples = await new PreviewPage(harness.page).samples(24);
    expect(samples.every((sample) => sample.naturalWidth === 28)).toBe(true);
  });

  it('Training: the run the audit log holds, its round in the table and the charts', async () => {
    await harness.page.goto('about:blank');
    await harness.page.goto(`${harness.url}#/training`);
    const training = new TrainingPage(harness.page);
    expect(await training.waitForRuns(1)).toEqual([
      expect.stringMatching(/^run 904435318632320104, from 2[345] Nov, \d{2}:40: 1 round \(newest\)$/),
    ]);
    expect(await training.rounds()).toEqual([{ round: '1', train: 'replied', evaluate: 'replied' }]);
    expect(await training.chartPoints('round-acc')).toBe(2);
  });

  it('logged no console error, failed request or uncaught exception', () => {
    expect(harness.problems).toEqual([]);
  });
});
