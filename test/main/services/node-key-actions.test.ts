// Tests (Node, real files in a temp folder, an in-memory vault for the keychain, the party stood in for):
// creating a node key without joining, saving its public key, resetting it.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MethodName } from '../../../common/contract/contract.js';
import type { Envelope } from '../../../common/contract/envelope.js';
import { createNodeKeyPem } from '../../../main/federation/transport/node-identity.js';
import { hostClient } from '../../../main/services/host-client.js';
import { KEY_FILES, SEALED_NOTE } from '../../../main/services/node-key-storage.js';
import type { NodeKeyStorage } from '../../../main/services/node-key-storage.js';
import { createServicesHost } from '../../../main/services/services-host.js';
import type { ServicesHost } from '../../../main/services/services-host.js';
import { tempDir } from '../../fixtures/corpus.js';
import { keyFacts, MemoryVault, NO_KEY } from './node-key-helpers.js';
import { fakes, JOINABLE_YAML, writeConfig } from './party-fakes.js';

let dir: string;
let config: string;
let keyFile: string;
let publicKeyFile: string;
let host: ServicesHost;
let notices: string[];

function start(nodeKeys: NodeKeyStorage = KEY_FILES): void {
  host = createServicesHost({ version: '1.0.0', nodeKeys, party: fakes().deps });
  notices = [];
  hostClient(host).subscribe((event, payload) => event === 'party.notice' && notices.push((payload as { message: string }).message));
}

beforeEach(async () => {
  dir = await tempDir('tributary-node-key-actions-');
  config = await writeConfig(dir, 'party.yaml', JOINABLE_YAML);
  keyFile = path.join(dir, 'node-key.pem');
  publicKeyFile = path.join(dir, 'node-key.pub');
});
afterEach(async () => {
  await host.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

const call = (method: MethodName, args: unknown): Promise<Envelope<unknown>> => hostClient(host).call(method, args);

async function value<T = Record<string, unknown>>(method: MethodName, args: unknown): Promise<T> {
  const result = await call(method, args);
  if (!result.ok) throw new Error(`${method} failed: ${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

const fingerprintNow = async () => (await value('party.nodeKey', { file: config })).fingerprint as string | null;

describe('party.createNodeKey with key files (the console, and the desktop app without a keyring)', () => {
  beforeEach(() => start());

  it('makes the key_file (0600) without joining, says so, and shows its fingerprint and public key', async () => {
    const created = await value('party.createNodeKey', { file: config });
    expect((await fsp.stat(keyFile)).mode & 0o777).toBe(0o600);
    const pem = await fsp.readFile(keyFile, 'utf8');
    expect(created).toEqual({ keyFile, publicKeyFile, ...keyFacts(pem), storage: 'file', storageNote: expect.any(String) });
    expect(await value('party.nodeKey', { file: config })).toEqual(created);
    expect(notices).toEqual([
      `node key ${created.fingerprint} created for ${keyFile}, not yet used: the next join uses it. Its public key is on the Federation page`,
    ]);
  });

  it('refuses a second key, and a key over one that cannot be used, naming the key file', async () => {
    const { fingerprint } = await value('party.createNodeKey', { file: config });
    expect(await call('party.createNodeKey', { file: config })).toEqual({
      ok: false,
      error: { code: 'failed', message: `${keyFile} already has node key ${fingerprint}: reset it first to make another` },
    });
    await fsp.writeFile(keyFile, 'not a key');
    expect(await call('party.createNodeKey', { file: config })).toMatchObject({
      ok: false,
      error: {
        message: expect.stringMatching(
          /node-key\.pem: a node key is there that cannot be used \(not a usable node key.*\); reset it first$/,
        ),
      },
    });
    expect(await fsp.readFile(keyFile, 'utf8')).toBe('not a key');
  });

  it('refuses while the party is in a federation', async () => {
    await value('party.join', { file: config });
    expect(await call('party.createNodeKey', { file: config })).toEqual({
      ok: false,
      error: {
        code: 'failed',
        message: `cannot create a node key while the party is in the federation of ${config}: its node uses the key. Leave first`,
      },
    });
    expect(existsSync(keyFile)).toBe(false);
  });

  it('places a config without a federation section on its key, and refuses arguments outside the contract', async () => {
    const dataOnly = await writeConfig(dir, 'data-only.yaml', JOINABLE_YAML.replace(/federation:[\s\S]*$/, ''));
    expect(await call('party.createNodeKey', { file: dataOnly })).toMatchObject({
      ok: false,
      error: {
        code: 'config-invalid',
        message: expect.stringContaining(`${dataOnly}: federation: missing`),
        issues: [{ key: 'federation', problem: expect.stringContaining('federation.key_file') }],
      },
    });
    expect(await call('party.resetNodeKey', { file: config, fingerprint: 'abc' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('→ at fingerprint') },
    });
    expect(await call('party.savePublicKey', { file: 'node-key.pem' })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: expect.stringContaining('a party config is a .yaml or .yml file') },
    });
  });
});

describe('party.savePublicKey', () => {
  beforeEach(() => start());

  it('writes the OpenSSH line beside the config (0644), then finds it unchanged', async () => {
    expect(await call('party.savePublicKey', { file: config })).toEqual({
      ok: false,
      error: { code: 'failed', message: `${keyFile}: no node key yet: create it first` },
    });
    const { fingerprint, publicKeySsh } = await value('party.createNodeKey', { file: config });
    expect(await value('party.savePublicKey', { file: config })).toEqual({ publicKeyFile, fingerprint, outcome: 'written' });
    expect(await fsp.readFile(publicKeyFile, 'utf8')).toBe(`${publicKeySsh}\n`);
    expect((await fsp.stat(publicKeyFile)).mode & 0o777).toBe(0o644);
    expect(await value('party.savePublicKey', { file: config })).toEqual({ publicKeyFile, fingerprint, outcome: 'unchanged' });
    expect(notices.at(-1)).toBe(`public key of node key ${fingerprint} saved to ${publicKeyFile}`);
    expect(notices).toHaveLength(2);
  });

  it('keeps a different file there unless asked to replace it, and leaves no temp file behind', async () => {
    const { fingerprint, publicKeySsh } = await value('party.createNodeKey', { file: config });
    await fsp.writeFile(publicKeyFile, 'ecdsa-sha2-nistp384 AAAA an earlier key\n');
    expect(await value('party.savePublicKey', { file: config })).toEqual({ publicKeyFile, fingerprint, outcome: 'kept' });
    expect(await fsp.readFile(publicKeyFile, 'utf8')).toBe('ecdsa-sha2-nistp384 AAAA an earlier key\n');
    expect(await value('party.savePublicKey', { file: config, overwrite: true })).toEqual({
      publicKeyFile,
      fingerprint,
      outcome: 'replaced',
    });
    expect(await fsp.readFile(publicKeyFile, 'utf8')).toBe(`${publicKeySsh}\n`);
    expect((await fsp.readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('names the file a write fails on', async () => {
    await value('party.createNodeKey', { file: config });
    await fsp.mkdir(publicKeyFile);
    await fsp.writeFile(path.join(publicKeyFile, 'inside'), '');
    expect(await call('party.savePublicKey', { file: config, overwrite: true })).toMatchObject({
      ok: false,
      error: { code: 'failed', message: expect.stringContaining(`cannot read ${publicKeyFile}`) },
    });
  });

  it('saves beside the config however deep key_file is, and never onto a key_file that ends in .pub', async () => {
    const nested = await writeConfig(
      dir,
      'nested.yaml',
      JOINABLE_YAML.replace('insecure: true', 'insecure: true\n  key_file: keys/site.pub'),
    );
    const created = await value('party.createNodeKey', { file: nested });
    expect(created).toMatchObject({ keyFile: path.join(dir, 'keys', 'site.pub'), publicKeyFile: path.join(dir, 'site.pub.pub') });
    await value('party.savePublicKey', { file: nested });
    expect(await fsp.readFile(path.join(dir, 'keys', 'site.pub'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });
});

describe('party.resetNodeKey with key files', () => {
  beforeEach(() => start());

  it('deletes the key the operator confirmed, says so, and the next create makes another', async () => {
    const { fingerprint } = await value<{ fingerprint: string }>('party.createNodeKey', { file: config });
    const reset = await value('party.resetNodeKey', { file: config, fingerprint });
    expect(reset).toEqual({
      removed: keyFile,
      nodeKey: { keyFile, publicKeyFile, ...NO_KEY, storage: 'file', storageNote: expect.any(String) },
    });
    expect(existsSync(keyFile)).toBe(false);
    expect(notices.at(-1)).toBe(
      `node key ${fingerprint} reset: deleted ${keyFile}. The next join makes a new key, and the server knows this site as a new node`,
    );
    const again = await value('party.createNodeKey', { file: config });
    expect(again.fingerprint).not.toBe(fingerprint);
  });

  it('deletes nothing for a fingerprint that is not the key there by now, or when there is no key', async () => {
    expect(await call('party.resetNodeKey', { file: config, fingerprint: null })).toEqual({
      ok: false,
      error: { code: 'failed', message: `${keyFile}: no node key to reset` },
    });
    const { fingerprint } = await value<{ fingerprint: string }>('party.createNodeKey', { file: config });
    expect(await call('party.resetNodeKey', { file: config, fingerprint: '0000-0000-0000-0000' })).toEqual({
      ok: false,
      error: {
        code: 'failed',
        message: `${keyFile}: the node key is ${fingerprint} by now, not the 0000-0000-0000-0000 confirmed; nothing was deleted: look at it again`,
      },
    });
    expect(await fingerprintNow()).toBe(fingerprint);
  });

  it('deletes the public key saved for that key too, and leaves a public key file that says anything else', async () => {
    const { fingerprint } = await value<{ fingerprint: string }>('party.createNodeKey', { file: config });
    await value('party.savePublicKey', { file: config });
    expect(await value('party.resetNodeKey', { file: config, fingerprint })).toMatchObject({
      removed: `${keyFile}, and its public key ${publicKeyFile}`,
    });
    expect(existsSync(publicKeyFile)).toBe(false);

    const next = await value<{ fingerprint: string }>('party.createNodeKey', { file: config });
    await fsp.writeFile(publicKeyFile, 'ecdsa-sha2-nistp384 AAAA... a key the coordinator already has\n');
    expect(await value('party.resetNodeKey', { file: config, fingerprint: next.fingerprint })).toMatchObject({ removed: keyFile });
    expect(existsSync(publicKeyFile)).toBe(true);
  });

  it('deletes a key file that is no usable key, confirmed as the unreadable one', async () => {
    await fsp.writeFile(keyFile, 'not a key');
    expect(await value('party.resetNodeKey', { file: config, fingerprint: null })).toMatchObject({ removed: keyFile, nodeKey: NO_KEY });
  });

  it('is refused while the party is in a federation, and the key stays', async () => {
    const { fingerprint } = await value<{ fingerprint: string }>('party.createNodeKey', { file: config });
    await value('party.join', { file: config });
    expect(await call('party.resetNodeKey', { file: config, fingerprint })).toEqual({
      ok: false,
      error: {
        code: 'failed',
        message: `cannot reset the node key while the party is in the federation of ${config}: its node uses the key. Leave first`,
      },
    });
    expect(await fingerprintNow()).toBe(fingerprint);
    await value('party.leave', { finish: true });
    expect(await value('party.resetNodeKey', { file: config, fingerprint })).toMatchObject({ removed: keyFile });
  });
});

describe('node key actions sealed by the keychain', () => {
  let vault: MemoryVault;
  beforeEach(() => {
    vault = new MemoryVault();
    start({ kind: 'keychain', vault });
  });

  it('create seals a new key under the key_file path, reads it back, and writes no file', async () => {
    const created = await value('party.createNodeKey', { file: config });
    const sealed = vault.keys.get(keyFile)!;
    expect(created).toEqual({ keyFile, publicKeyFile, ...keyFacts(sealed), storage: 'keychain', storageNote: SEALED_NOTE });
    expect(vault.asked.filter((asked) => !asked.startsWith('load'))).toEqual([`save ${keyFile}`]);
    expect(existsSync(keyFile)).toBe(false);
  });

  it('create keeps nothing when the seal does not read back, and says so', async () => {
    vault.readsBack = (pem) => pem.slice(0, 40);
    expect(await call('party.createNodeKey', { file: config })).toEqual({
      ok: false,
      error: {
        code: 'failed',
        message: `the node key made for ${keyFile} did not read back from this computer's keychain as it was sealed; nothing was kept`,
      },
    });
    expect(vault.keys.size).toBe(0);
  });

  it('two creates at once make one key, the second refused', async () => {
    const [first, second] = await Promise.all([
      call('party.createNodeKey', { file: config }),
      call('party.createNodeKey', { file: config }),
    ]);
    expect(first.ok).toBe(true);
    expect(second).toMatchObject({ ok: false, error: { message: expect.stringContaining('already has node key') } });
    expect(first.ok && (first.value as { fingerprint: string }).fingerprint).toBe(await fingerprintNow());
  });

  it('create refuses over a key file the next join would move in: that key is the node', async () => {
    const filed = createNodeKeyPem();
    await fsp.writeFile(keyFile, filed, { mode: 0o600 });
    expect(await call('party.createNodeKey', { file: config })).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('already has node key') },
    });
    expect(vault.keys.size).toBe(0);
  });

  it("saves the sealed key's public key", async () => {
    const { publicKeySsh } = await value('party.createNodeKey', { file: config });
    await value('party.savePublicKey', { file: config });
    expect(await fsp.readFile(publicKeyFile, 'utf8')).toBe(`${publicKeySsh}\n`);
  });

  it('reset deletes a sealed key that can no longer be unsealed (a reset keychain), confirmed as the unreadable one', async () => {
    vault.keys.set(keyFile, createNodeKeyPem());
    const unseal = vault.load;
    vault.load = () => Promise.reject(new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.'));
    expect(await value('party.nodeKey', { file: config })).toMatchObject({
      fingerprint: null,
      problem: expect.stringContaining('"Reset node key"'),
    });
    const reset = await value('party.resetNodeKey', { file: config, fingerprint: null });
    vault.load = unseal;
    expect(reset).toMatchObject({ removed: `the key sealed for ${keyFile}` });
    expect(vault.keys.size).toBe(0);
    expect(await value('party.nodeKey', { file: config })).toMatchObject(NO_KEY);
  });

  it('reset takes a key file holding the same key along (a move cut short), and leaves a file holding another key', async () => {
    const sealed = createNodeKeyPem();
    vault.keys.set(keyFile, sealed);
    await fsp.writeFile(keyFile, sealed);
    const { fingerprint } = keyFacts(sealed);
    expect(await value('party.resetNodeKey', { file: config, fingerprint })).toMatchObject({
      removed: `the key sealed for ${keyFile}, and the key file holding the same key`,
      nodeKey: NO_KEY,
    });
    expect(existsSync(keyFile)).toBe(false);

    const other = createNodeKeyPem();
    vault.keys.set(keyFile, sealed);
    await fsp.writeFile(keyFile, other);
    const after = await value('party.resetNodeKey', { file: config, fingerprint });
    expect(after).toMatchObject({
      removed: `the key sealed for ${keyFile}`,
      nodeKey: { fingerprint: keyFacts(other).fingerprint, storage: 'file' },
    });
    expect(await fsp.readFile(keyFile, 'utf8')).toBe(other);
  });
});
