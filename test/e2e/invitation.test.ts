// End-to-end (Debian's chromium, the real console and services, the reference aggregator over TLS in this process): the aggregator writes
// an invitation; the Federation page refuses a damaged, a tampered and an expired one, opens the real one from its file, shows what it
// trusts, applies it (CA pinned, node key made), joins for a round; then a server certificate from another CA is refused.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAggregatorInvitation } from '../../main/cli/aggregator-invite.js';
import { createInvitation } from '../../main/federation/invitation/invitation.js';
import { invitationText } from '../../main/federation/invitation/invitation-text.js';
import { tempDir } from '../fixtures/corpus.js';
import { makeServerCertificate, makeTestCertificates, type TestCertificates } from '../main/federation/transport/fixtures.js';
import { startAggregator } from './aggregator.js';
import type { RunningAggregator } from './aggregator.js';
import { openConsole } from './harness.js';
import type { Harness } from './harness.js';
import { AppShell } from './pages/app-shell.js';
import { FederationPage } from './pages/federation-page.js';

/** The example with the aggregator's MLP, asking for work twice a second; its federation section is the invitation's to fill. */
function quickParty(yaml: string): string {
  return yaml.replace('builtin: mnist-cnn', 'builtin: mlp').replace(/^( {2}key_file: .*\n)/m, '$1  poll_interval: 0.5\n');
}

let dir: string;
let certs: TestCertificates;
let pin: string;
let aggregator: RunningAggregator;
let harness: Harness;
let federation: FederationPage;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = await tempDir('tributary-e2e-invitation-');
  certs = makeTestCertificates(dir);
  pin = new X509Certificate(await fsp.readFile(certs.caFile)).fingerprint256;
  const coordinator = generateKeyPairSync('ed25519').privateKey;
  await fsp.writeFile(file('coordinator.key'), coordinator.export({ type: 'pkcs8', format: 'pem' }));
  aggregator = await startAggregator(dir, { rounds: 40, tls: { cert: certs.certFile, key: certs.keyFile } });
  await writeAggregatorInvitation(
    { invite: file('invite.txt'), 'invite-key': file('coordinator.key'), 'invite-ca': certs.caFile, 'invite-name': 'Invitation e2e' },
    { grpc: aggregator.address, runDir: dir },
  );
  const text = (await fsp.readFile(file('invite.txt'), 'utf8')).trim();
  const signed = JSON.parse(Buffer.from(text.slice('tributary-invite:'.length), 'base64url').toString()) as { invitation: string };
  await fsp.writeFile(
    file('tampered.txt'),
    invitationText({ ...signed, invitation: signed.invitation.replace('Invitation e2e', 'Evil') } as never),
  );
  const past = new Date(Date.now() - 10 * 86_400_000);
  const expired = createInvitation({
    federation: 'Old',
    server: aggregator.address,
    transport: 'grpc',
    ca: { pem: await fsp.readFile(certs.caFile, 'utf8') },
    nodeAuth: false,
    lifetimeMs: 86_400_000,
    key: coordinator,
    now: past,
  });
  await fsp.writeFile(file('expired.txt'), invitationText(expired));
  harness = await openConsole({ edit: quickParty });
  federation = new FederationPage(harness.page);
}, 60_000);
afterAll(async () => {
  await harness?.close();
  await aggregator?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function check(text: string): Promise<void> {
  await harness.page.getByLabel(/^Paste the invitation/).fill(text);
  await harness.page.getByRole('button', { name: 'Check invitation' }).click();
}

function alert() {
  return harness.page.getByRole('region', { name: 'Invitation' }).getByRole('alert');
}

describe('joining by invitation', () => {
  it('refuses a damaged, a tampered and an expired invitation, saying which', async () => {
    await harness.page.getByText('No problems found.').waitFor();
    await new AppShell(harness.page).goTo('Federation');
    await harness.page.getByRole('button', { name: 'Open invitation' }).click();
    await harness.screenshot('30-invitation-open');
    await check('tributary-invite:not!base64');
    await alert().filter({ hasText: 'is not base64url' }).waitFor();
    await check(await fsp.readFile(file('tampered.txt'), 'utf8'));
    await alert().filter({ hasText: "the invitation's signature does not match its content" }).waitFor();
    await harness.screenshot('31-invitation-tampered');
    await check(await fsp.readFile(file('expired.txt'), 'utf8'));
    await alert()
      .filter({ hasText: /the invitation expired on .* \(9 days ago\)/ })
      .waitFor();
    await harness.screenshot('32-invitation-expired');
  });

  it('opens the invitation file and shows what it will trust before applying anything', async () => {
    const before = await fsp.readFile(harness.config, 'utf8');
    await harness.page.getByLabel('or open its file').setInputFiles(file('invite.txt'));
    const facts = harness.page.getByRole('definition');
    await harness.page.getByTestId('invitation-ca').waitFor();
    expect(await harness.page.getByTestId('invitation-ca').innerText()).toBe(pin);
    expect(await facts.allInnerTexts()).toEqual(
      expect.arrayContaining(['Invitation e2e', aggregator.address, 'gRPC', 'CN=Tributary test ca', 'no']),
    );
    expect(await harness.page.getByTestId('invitation-issuer').innerText()).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){15}$/);
    expect(await fsp.readFile(harness.config, 'utf8')).toBe(before);
    await harness.screenshot('33-invitation-checked');
  });

  it('applies it: the CA pinned, the connection filled in, the node key made and its public key ready to send', async () => {
    await harness.page.getByRole('button', { name: 'Apply to this config' }).click();
    await harness.page.getByTestId('pinned-ca').waitFor();
    expect(await harness.page.getByTestId('pinned-ca').innerText()).toBe(pin);
    expect(await harness.page.getByLabel(/^Send this public key to the coordinator/).inputValue()).toMatch(/^ecdsa-sha2-nistp384 /);
    expect(await federation.field('server').inputValue()).toBe(aggregator.address);
    expect(await federation.field('insecure').isChecked()).toBe(false);
    expect(await federation.field('root_ca').inputValue()).toMatch(/^federation-ca-[0-9a-f]{16}\.pem$/);
    await federation.waitForFingerprint();
    expect(await fsp.readFile(harness.config, 'utf8')).toContain(`ca_sha256: ${pin}`);
    await harness.screenshot('34-invitation-applied');
  });

  it('joins the aggregator over TLS with the pinned CA and takes part in a round', async () => {
    await federation.button('Join').click();
    await federation.waitForStage('joined');
    await expect.poll(() => aggregator.rounds.some((round) => round.status === 'completed'), { timeout: 90_000, interval: 500 }).toBe(true);
    await harness.screenshot('35-invitation-joined');
    await federation.button('Leave now').click();
    await federation.waitForStage('out');
  }, 120_000);

  it('refuses the server once its certificate comes from another CA, saying the certificate is not the pinned one', async () => {
    const address = aggregator.address;
    await aggregator.close();
    const changed = makeServerCertificate(dir, 'other-ca', 'changed');
    aggregator = await startAggregator(dir, { rounds: 1, listen: address, tls: { cert: changed.certFile, key: changed.keyFile } });
    await federation.button('Join').click();
    await harness.page
      .getByText(/is not from the pinned CA/)
      .first()
      .waitFor({ timeout: 60_000 });
    // The status says why it is not connected while it waits to try again, not "Connecting…".
    const status = harness.page.locator('.status[data-stage]');
    await expect
      .poll(() => status.innerText(), { timeout: 30_000, interval: 250 })
      .toMatch(/Server certificate not trusted[\s\S]*is not from the pinned CA[\s\S]*trying again in/);
    await harness.screenshot('36-invitation-certificate-changed');
    expect(aggregator.events.some((event) => event.type === 'round-done')).toBe(false);
  }, 90_000);
});
