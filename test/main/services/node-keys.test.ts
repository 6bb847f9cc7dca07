// Tests (Node, an in-memory vault for the desktop app's keychain): sealed node keys on the services side: a key file moved in,
// party.nodeKey's storage, the key handed to the party, and the port to the parent.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MethodName } from '../../../common/contract/contract.js';
import { createNodeKeyPem, nodeIdentityFromPem } from '../../../main/federation/transport/node-identity.js';
import { hostClient } from '../../../main/services/host-client.js';
import { KEY_FILE_NOTE, MOVED_AT_JOIN_NOTE, OTHER_FILE_NOTE, SEALED_NOTE, sealedNodeKey } from '../../../main/services/node-key-storage.js';
import type { NodeKeyStorage } from '../../../main/services/node-key-storage.js';
import { PortNodeKeyVault } from '../../../main/services/node-key-vault.js';
import type { ChildMessage } from '../../../main/services/port-protocol.js';
import type { ParentPort } from '../../../main/services/serve-port.js';
import { createServicesHost } from '../../../main/services/services-host.js';
import type { ServicesHost } from '../../../main/services/services-host.js';
import { tempDir } from '../../fixtures/corpus.js';
import { keyFacts, MemoryVault, NO_KEY } from './node-key-helpers.js';
import { fakes, JOINABLE_YAML, writeConfig } from './party-fakes.js';
import type { Fakes } from './party-fakes.js';

let dir: string;
let keyFile: string;
beforeEach(async () => {
  dir = await tempDir('tributary-node-keys-');
  keyFile = path.join(dir, 'node-key.pem');
});
afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

const fingerprintOf = (pem: string) => nodeIdentityFromPem(pem, 'test').fingerprint;

describe('sealedNodeKey', () => {
  it('loads, saves and retires the key sealed under the key_file path, and writes no file', async () => {
    const vault = new MemoryVault();
    const source = sealedNodeKey(vault, keyFile, () => undefined);
    expect(source.label).toBe(`this computer's keychain (sealed for ${keyFile})`);
    expect(await source.load()).toBeUndefined();
    const pem = createNodeKeyPem();
    await source.save(pem);
    expect(await source.load()).toBe(pem);
    await source.retire();
    expect(vault.keys.size).toBe(0);
    expect(existsSync(keyFile)).toBe(false);
  });

  it('moves a key file (from `tributary party`) in as the same node: sealed as PKCS#8, read back, only then the file deleted; says so', async () => {
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    await fsp.writeFile(keyFile, sec1, { mode: 0o600 });
    const vault = new MemoryVault();
    const notices: string[] = [];
    const pem = await sealedNodeKey(vault, keyFile, (message) => notices.push(message)).load();
    expect(pem!.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(fingerprintOf(pem!)).toBe(fingerprintOf(sec1));
    expect(vault.keys.get(keyFile)).toBe(pem);
    expect(vault.asked).toEqual([`load ${keyFile}`, `save ${keyFile}`, `load ${keyFile}`]);
    expect(existsSync(keyFile)).toBe(false);
    expect(notices).toEqual([
      expect.stringMatching(
        new RegExp(`^node key ${fingerprintOf(sec1)} moved from .*node-key\\.pem into this computer's keychain and the file deleted`),
      ),
    ]);
  });

  it('keeps the key file when the sealed copy does not read back the same, or cannot be sealed at all', async () => {
    const pem = createNodeKeyPem();
    await fsp.writeFile(keyFile, pem);
    const garbled = new MemoryVault();
    garbled.readsBack = (sealed) => sealed.slice(0, 40);
    await expect(sealedNodeKey(garbled, keyFile, () => undefined).load()).rejects.toThrow(/did not read back .* the file is kept/);
    expect(await fsp.readFile(keyFile, 'utf8')).toBe(pem);
    const locked = Object.assign(new MemoryVault(), { save: () => Promise.reject(new Error('the keychain is locked')) });
    await expect(sealedNodeKey(locked, keyFile, () => undefined).load()).rejects.toThrow('the keychain is locked');
    expect(await fsp.readFile(keyFile, 'utf8')).toBe(pem);
  });

  it('says, when the sealed key cannot be unsealed, that Reset is the way out if the keychain lost it', async () => {
    const vault = Object.assign(new MemoryVault(), {
      load: () => Promise.reject(new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.')),
    });
    const loading = sealedNodeKey(vault, keyFile, () => undefined).load();
    await expect(loading).rejects.toThrow(
      `cannot unseal the node key sealed for ${keyFile}: Error while decrypting the ciphertext provided to safeStorage.decryptString.`,
    );
    await expect(loading).rejects.toThrow(
      /keychain was reset .* "Reset node key" on the Federation page deletes it, and the next join makes a new key, a new node/,
    );
  });

  it('seals nothing from a key file that is no usable key, and names the file', async () => {
    await fsp.writeFile(keyFile, 'not a key\n');
    const vault = new MemoryVault();
    await expect(sealedNodeKey(vault, keyFile, () => undefined).load()).rejects.toThrow(`${keyFile}: not a usable node key`);
    expect(vault.keys.size).toBe(0);
    expect(existsSync(keyFile)).toBe(true);
  });

  it('with a sealed key and a file: the same key finishes an interrupted move; another key is left alone, and said so', async () => {
    const pem = createNodeKeyPem();
    const vault = new MemoryVault();
    vault.keys.set(keyFile, pem);
    await fsp.writeFile(keyFile, pem);
    expect(await sealedNodeKey(vault, keyFile, () => undefined).load()).toBe(pem);
    expect(existsSync(keyFile)).toBe(false);

    const other = createNodeKeyPem();
    await fsp.writeFile(keyFile, other);
    const notices: string[] = [];
    expect(await sealedNodeKey(vault, keyFile, (message) => notices.push(message)).load()).toBe(pem);
    expect(await fsp.readFile(keyFile, 'utf8')).toBe(other);
    expect(notices).toEqual([
      `node key ${fingerprintOf(pem)} is the one sealed for ${keyFile}; the file there holds another key (from \`tributary party\`?) and is left alone`,
    ]);
  });
});

describe('the party service with sealed node keys', () => {
  let faked: Fakes;
  let host: ServicesHost;
  let config: string;

  function start(nodeKeys: NodeKeyStorage): void {
    faked = fakes();
    host = createServicesHost({ version: '1.0.0', nodeKeys, party: faked.deps });
  }
  beforeEach(async () => {
    config = await writeConfig(dir, 'party.yaml', JOINABLE_YAML);
  });
  afterEach(() => host.close());

  async function value(method: MethodName, args: unknown): Promise<Record<string, unknown>> {
    const result = await hostClient(host).call(method, args);
    if (!result.ok) throw new Error(`${method} failed: ${result.error.message}`);
    return result.value as Record<string, unknown>;
  }

  it("hands the party a key source sealed under the config's key_file, whose notices reach the operator", async () => {
    const vault = new MemoryVault();
    start({ kind: 'keychain', vault });
    const notices: unknown[] = [];
    hostClient(host).subscribe((event, payload) => event === 'party.notice' && notices.push(payload));
    await fsp.writeFile(keyFile, createNodeKeyPem());
    await value('party.join', { file: config });
    const source = faked.parties[0]!.options.nodeKey!;
    expect(source.label).toContain(keyFile);
    const pem = await source.load();
    expect(vault.keys.get(keyFile)).toBe(pem);
    expect(notices).toEqual([{ time: expect.any(String), message: expect.stringContaining('moved from') }]);
  });

  it('leaves the key file to the party when keys are files', async () => {
    start({ kind: 'file', note: KEY_FILE_NOTE });
    await value('party.join', { file: config });
    expect(faked.parties[0]!.options.nodeKey).toBeUndefined();
  });

  it('party.nodeKey says where the key is kept: sealed, a file the next join moves in, another file left alone, or a seal that fails', async () => {
    const vault = new MemoryVault();
    start({ kind: 'keychain', vault });
    const nodeKey = () => value('party.nodeKey', { file: config });
    const place = { keyFile, publicKeyFile: path.join(dir, 'node-key.pub') };
    expect(await nodeKey()).toEqual({ ...place, ...NO_KEY, storage: 'keychain', storageNote: SEALED_NOTE });

    const filed = createNodeKeyPem();
    await fsp.writeFile(keyFile, filed);
    expect(await nodeKey()).toEqual({ ...place, ...keyFacts(filed), storage: 'file', storageNote: MOVED_AT_JOIN_NOTE });

    const sealed = createNodeKeyPem();
    vault.keys.set(keyFile, sealed);
    expect(await nodeKey()).toEqual({ ...place, ...keyFacts(sealed), storage: 'keychain', storageNote: OTHER_FILE_NOTE });
    await fsp.rm(keyFile);
    expect(await nodeKey()).toEqual({ ...place, ...keyFacts(sealed), storage: 'keychain', storageNote: SEALED_NOTE });
    expect(existsSync(keyFile)).toBe(false);

    vault.load = () => Promise.reject(new Error('the user denied keychain access'));
    expect(await nodeKey()).toMatchObject({
      ...NO_KEY,
      problem: expect.stringContaining(`cannot unseal the node key sealed for ${keyFile}: the user denied keychain access.`),
      storage: 'keychain',
    });
    expect((await nodeKey()).problem).toContain('"Reset node key" on the Federation page deletes it');
  });

  it("party.nodeKey with key files says why, in the parent's words", async () => {
    const note = 'In the key file, readable by this user only (mode 0600), not sealed: this system has no keyring for secrets.';
    start({ kind: 'file', note });
    expect(await value('party.nodeKey', { file: config })).toEqual({
      keyFile,
      publicKeyFile: path.join(dir, 'node-key.pub'),
      ...NO_KEY,
      storage: 'file',
      storageNote: note,
    });
    const dataOnly = await writeConfig(dir, 'data-only.yaml', JOINABLE_YAML.replace(/federation:[\s\S]*$/, ''));
    expect(await value('party.nodeKey', { file: dataOnly })).toEqual({
      keyFile: null,
      publicKeyFile: null,
      ...NO_KEY,
      storage: null,
      storageNote: null,
    });
  });
});

describe('PortNodeKeyVault', () => {
  /** The services' end of the port, with the test as the parent. */
  function portPair() {
    const posted: ChildMessage[] = [];
    const listeners: ((message: unknown) => void)[] = [];
    const port: ParentPort = { post: (message) => void posted.push(message), onMessage: (listener) => void listeners.push(listener) };
    return { port, posted, answer: (message: unknown) => listeners.forEach((listener) => listener(message)) };
  }

  it('asks the parent, matching each answer to its request by id', async () => {
    const { port, posted, answer } = portPair();
    const vault = new PortNodeKeyVault(port);
    const first = vault.load('/site/a.pem');
    const second = vault.load('/site/b.pem');
    expect(posted).toEqual([
      { kind: 'nodeKey', id: 1, request: { op: 'load', keyFile: '/site/a.pem' } },
      { kind: 'nodeKey', id: 2, request: { op: 'load', keyFile: '/site/b.pem' } },
    ]);
    answer({ kind: 'call', id: 2, method: 'app.info', args: {} }); // not for the vault
    answer({ kind: 'nodeKeyReply', id: 2, result: { ok: true, value: null } });
    answer({ kind: 'nodeKeyReply', id: 1, result: { ok: true, value: 'PEM' } });
    expect([await first, await second]).toEqual(['PEM', undefined]);
  });

  it("rejects with the parent's refusal, and with a malformed answer", async () => {
    const { port, answer } = portPair();
    const vault = new PortNodeKeyVault(port);
    const refused = vault.save('/site/a.pem', createNodeKeyPem());
    answer({
      kind: 'nodeKeyReply',
      id: 1,
      result: { ok: false, error: { code: 'failed', message: 'this system has no keyring for secrets' } },
    });
    await expect(refused).rejects.toThrow('this system has no keyring for secrets');
    const malformed = vault.delete('/site/a.pem');
    answer({ kind: 'nodeKeyReply', id: 2, result: { ok: true, value: 42 } });
    await expect(malformed).rejects.toThrow(/the app's answer about the node key is malformed/);
  });
});
