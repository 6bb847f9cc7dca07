// Tests (real files and keys): applying an invitation through the services host: node auth becomes register: false, a fingerprint-only
// invitation drops root_ca and pins the fingerprint, the site's own keys stay, an existing node key is kept, and a joined party refuses.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { createInvitation } from '../../../main/federation/invitation/invitation.js';
import { invitationText } from '../../../main/federation/invitation/invitation-text.js';
import { InvitationService } from '../../../main/services/invitation-service.js';
import { EventBus } from '../../../main/services/event-bus.js';
import { KEY_FILES } from '../../../main/services/node-key-storage.js';
import { NodeKeyService } from '../../../main/services/node-key-service.js';
import { makeTestCertificates, type TestCertificates } from '../federation/transport/fixtures.js';

let dir: string;
let certs: TestCertificates;
let config: string;
const key = generateKeyPairSync('ed25519').privateKey;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-invite-apply-'));
  certs = makeTestCertificates(dir);
  await mkdir(path.join(dir, 'site'));
  config = path.join(dir, 'site', 'party.yaml');
  const example = await readFile('examples/image-folder/party.yaml', 'utf8');
  await writeFile(config, example.replaceAll('../../assets/', `${path.resolve('assets')}/`));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The two services as the host wires them: applying takes its turn with the node key changes. */
function services(events = new EventBus(), federationFile: () => string | null = () => null) {
  const nodeKeys = new NodeKeyService(events, KEY_FILES, federationFile);
  return { nodeKeys, invitations: new InvitationService(events, KEY_FILES, federationFile, (task) => nodeKeys.exclusive(task)) };
}

function invitation(ca: { pem: string } | { sha256: string }, nodeAuth: boolean): string {
  const signed = createInvitation({
    federation: 'F',
    server: 'https://fl.example.org:9095',
    transport: 'rest',
    ca,
    nodeAuth,
    lifetimeMs: 3_600_000,
    key,
  });
  return invitationText(signed);
}

describe('party.applyInvitation', () => {
  it('fills the section for a REST server with node auth, keeps the site keys, and makes the node key once', async () => {
    const notices: string[] = [];
    const events = new EventBus();
    events.subscribe((event, payload) => event === 'party.notice' && notices.push((payload as { message: string }).message));
    const service = services(events).invitations;
    const pem = await readFile(certs.caFile, 'utf8');
    const first = await service.apply({ file: config, text: invitation({ pem }, true) });
    const federation = (await loadPartyConfig(config)).config.federation!;
    expect(federation).toMatchObject({ server: 'https://fl.example.org:9095', transport: 'rest', register: false, insecure: false });
    expect(federation.bounds.epochs.max).toBe(5);
    expect(first.keyCreated).toBe(true);
    expect(notices[0]).toContain(`invitation to F applied to ${config}`);

    const sha256 = new X509Certificate(pem).fingerprint256;
    const second = await service.apply({ file: config, text: invitation({ sha256 }, false) });
    expect(second).toMatchObject({ caFile: null, keyCreated: false, nodeKey: { fingerprint: first.nodeKey.fingerprint } });
    const pinned = (await loadPartyConfig(config)).config.federation!;
    expect(pinned.root_ca).toBeUndefined();
    expect([pinned.ca_sha256, pinned.register]).toEqual([sha256, true]);
  });

  it('refuses while the party is in a federation, and refuses a bad invitation, leaving the config alone', async () => {
    const before = await readFile(config, 'utf8');
    const joined = services(new EventBus(), () => config).invitations;
    const pem = await readFile(certs.caFile, 'utf8');
    await expect(joined.apply({ file: config, text: invitation({ pem }, false) })).rejects.toThrow('while the party is in the federation');
    const service = services().invitations;
    await expect(service.apply({ file: config, text: 'tributary-invite:e30' })).rejects.toThrow("the invitation's envelope");
    expect(await readFile(config, 'utf8')).toBe(before);
  });

  it('takes its turn with Create node key: clicked together, one key is made and the other is told it exists', async () => {
    const fresh = path.join(dir, 'site', 'party-race.yaml');
    await writeFile(fresh, (await readFile(config, 'utf8')).replace(/key_file: .*/, 'key_file: race-node-key.pem'));
    const { nodeKeys, invitations } = services();
    const pem = await readFile(certs.caFile, 'utf8');
    const [applied, created] = await Promise.allSettled([
      invitations.apply({ file: fresh, text: invitation({ pem }, false) }),
      nodeKeys.create({ file: fresh }),
    ]);
    expect(applied).toMatchObject({ status: 'fulfilled', value: { keyCreated: true } });
    expect(created).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('already has node key') } });
  });

  it("adds the federation's model to a config that has none, so a new site can join without writing one", async () => {
    const bare = path.join(dir, 'site', 'party-bare.yaml');
    const text = await readFile(config, 'utf8');
    await writeFile(
      bare,
      text.slice(0, text.search(/^model:/m)) +
        text.slice(text.search(/^federation:/m)).replace(/key_file: .*/, 'key_file: bare-node-key.pem'),
    );
    expect((await loadPartyConfig(bare)).config.model).toBeUndefined();
    const pem = await readFile(certs.caFile, 'utf8');
    const signed = invitationText(
      createInvitation({
        federation: 'F',
        server: 'localhost:9092',
        transport: 'grpc',
        ca: { pem },
        nodeAuth: false,
        model: { builtin: 'mlp' },
        lifetimeMs: 3_600_000,
        key,
      }),
    );
    const applied = await services().invitations.apply({ file: bare, text: signed });
    expect([applied.model, applied.invitation.model]).toEqual(['added', 'mlp']);
    expect((await loadPartyConfig(bare)).config.model).toMatchObject({ builtin: 'mlp', optimizer: 'adam' });
  });
});
