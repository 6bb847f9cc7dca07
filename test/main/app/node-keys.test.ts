// Tests (Node, electron mocked, electron-store's conf underneath): the node key sealed by main, unsealed and handed to the services over the port,
// created before joining, reset, retired on leave; key files where the keyring is basic_text.
import { EventEmitter } from 'node:events';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MethodName } from '../../../common/contract/contract.js';
import { createNodeKeyPem, nodeIdentityFromPem } from '../../../main/federation/transport/node-identity.js';
import { hostClient } from '../../../main/services/host-client.js';
import { nodeKeyStorageOver } from '../../../main/services/node-key-vault.js';
import type { NodeKeyStorageOption, ParentMessage } from '../../../main/services/port-protocol.js';
import { servePort } from '../../../main/services/serve-port.js';
import type { ParentPort } from '../../../main/services/serve-port.js';
import { createServicesHost } from '../../../main/services/services-host.js';
import { ServicesSupervisor } from '../../../main/services/supervisor.js';
import type { NodeKeyKeeper, ServiceChild } from '../../../main/services/supervisor.js';
import { tempDir } from '../../fixtures/corpus.js';
import { FakeFleet } from '../federation/client/fake-fleet.js';
import { fakes, JOINABLE_YAML, writeConfig } from '../services/party-fakes.js';
import type { ElectronMock } from './electron-mock.js';

const userData = await tempDir('tributary-node-keys-');
vi.mock('electron', async () => (await import('./electron-mock.js')).createElectronMock(userData));
vi.mock('electron-store', () => import('./conf-store.js'));

const electron = (await import('electron')) as unknown as ElectronMock;
const { AppSettings } = await import('../../../main/app/settings.main.js');
const { SecretStore } = await import('../../../main/app/secrets.main.js');
const { nodeKeySecretName, nodeKeyStorageOption, sealedNodeKeys } = await import('../../../main/app/node-keys.main.js');

let dir: string;
let settingsFile: string;
let secrets: InstanceType<typeof SecretStore>;

beforeEach(async () => {
  dir = await tempDir('tributary-node-keys-site-');
  secrets = new SecretStore(new AppSettings(dir));
  settingsFile = path.join(dir, 'settings.json');
});
afterEach(async () => {
  vi.restoreAllMocks();
  electron.safeStorage.isEncryptionAvailable.mockReturnValue(true);
  electron.safeStorage.getSelectedStorageBackend.mockReturnValue('gnome_libsecret');
  electron.safeStorage.encryptString.mockClear();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Linux with no keyring: Chromium falls back to its hard-coded key. */
function basicText(): void {
  vi.spyOn(process, 'platform', 'get').mockReturnValue('linux');
  electron.safeStorage.getSelectedStorageBackend.mockReturnValue('basic_text');
}

const settingsText = () => fsp.readFile(settingsFile, 'utf8');
const fingerprintOf = (pem: string) => nodeIdentityFromPem(pem, 'test').fingerprint;

describe('sealedNodeKeys', () => {
  it('seals a key under its key_file path, never in plain text, unseals it, and forgets it', async () => {
    const keep = sealedNodeKeys(secrets);
    const pem = createNodeKeyPem();
    const keyFile = '/site/node-key.pem';
    expect(await keep({ op: 'save', keyFile, pem })).toBeNull();
    expect(electron.safeStorage.encryptString).toHaveBeenCalledWith(pem);
    const stored = JSON.parse(await settingsText()) as { sealedSecrets: Record<string, string> };
    expect(Object.keys(stored.sealedSecrets)).toEqual([nodeKeySecretName(keyFile)]);
    expect(await settingsText()).not.toContain('PRIVATE KEY');
    expect(await keep({ op: 'load', keyFile })).toBe(pem);
    expect(await keep({ op: 'delete', keyFile })).toBeNull();
    expect(await keep({ op: 'load', keyFile })).toBeNull();
  });

  it('reaches node keys only, not the other secrets main keeps', async () => {
    secrets.set('console-token', 'a token');
    expect(await sealedNodeKeys(secrets)({ op: 'load', keyFile: '/console-token' })).toBeNull();
  });
});

describe('nodeKeyStorageOption', () => {
  it('tells the services keys are sealed where safeStorage has a real keyring', () => {
    expect(nodeKeyStorageOption(secrets)).toEqual({ kind: 'keychain' });
  });

  it('falls back to key files, and says why, on basic_text or with no encryption at all', () => {
    basicText();
    const fallback = {
      kind: 'file',
      note: expect.stringMatching(/^In the key file, readable by this user only \(mode 0600\), not sealed: this system has no keyring/),
    };
    expect(nodeKeyStorageOption(secrets)).toEqual(fallback);
    vi.restoreAllMocks();
    electron.safeStorage.isEncryptionAvailable.mockReturnValue(false);
    expect(nodeKeyStorageOption(secrets)).toEqual(fallback);
  });
});

/**
 * The services host in this process behind a real supervisor, over an in-memory port that clones each message as
 * the utility process's does: the same code on both sides as the desktop app runs, only no second process.
 */
function servicesBehindPort(nodeKeys: NodeKeyKeeper, option: NodeKeyStorageOption): ServicesSupervisor {
  const { openRunner } = fakes().deps;
  const supervisor = new ServicesSupervisor({
    nodeKeys,
    spawn: () => {
      const toChild = new EventEmitter();
      const toParent = new EventEmitter();
      // Asynchronous, as between processes: 'ready' is posted before spawn has returned the child to listen to.
      const port: ParentPort = {
        post: (message) => setImmediate(() => toParent.emit('message', structuredClone(message))),
        onMessage: (listener) => toChild.on('message', listener),
      };
      const host = createServicesHost({
        version: '1.0.0',
        nodeKeys: nodeKeyStorageOver(port, option),
        party: { openRunner, shutdownGraceMs: 500 },
      });
      servePort(port, hostClient(host), () => host.close().then(() => void toParent.emit('exit', 0)));
      const child: ServiceChild = {
        send: (message: ParentMessage) => setImmediate(() => toChild.emit('message', structuredClone(message))),
        onMessage: (listener) => toParent.on('message', listener),
        onExit: (listener) => toParent.once('exit', listener),
        kill: () => toParent.emit('exit', null),
      };
      return child;
    },
  });
  supervisor.start();
  return supervisor;
}

describe('the node key between main and the services', () => {
  let fleet: FakeFleet;
  let config: string;
  let keyFile: string;
  beforeEach(async () => {
    fleet = await FakeFleet.start('grpc');
    config = await writeConfig(
      dir,
      'party.yaml',
      JOINABLE_YAML.replace('127.0.0.1:9092', fleet.address).replace('insecure: true', 'insecure: true\n  poll_interval: 0.05'),
    );
    keyFile = path.join(dir, 'node-key.pem');
  });
  afterEach(() => fleet.close());

  async function call(services: ServicesSupervisor, method: MethodName, args: unknown): Promise<Record<string, unknown>> {
    const result = await services.call(method, args);
    if (!result.ok) throw new Error(`${method}: ${result.error.message}`);
    return result.value as Record<string, unknown>;
  }

  it('a join makes the key, main seals it; main unseals it for the services; leaving retires it; no key file ever', async () => {
    const services = servicesBehindPort(sealedNodeKeys(secrets), nodeKeyStorageOption(secrets));
    try {
      const joined = await call(services, 'party.join', { file: config });
      await fleet.activeNode();
      const sealed = secrets.get(nodeKeySecretName(keyFile));
      expect(sealed).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(joined.node).toEqual({ keyFile, fingerprint: fingerprintOf(sealed!) });
      expect(await settingsText()).not.toContain('PRIVATE KEY');
      expect(existsSync(keyFile)).toBe(false);

      expect(await call(services, 'party.nodeKey', { file: config })).toMatchObject({
        fingerprint: fingerprintOf(sealed!),
        storage: 'keychain',
      });

      await call(services, 'party.leave', { finish: true });
      expect(secrets.get(nodeKeySecretName(keyFile))).toBeUndefined();
      expect(await fsp.readdir(dir)).not.toContain('node-key.pem');
    } finally {
      await services.stop();
    }
  });

  it("a site that ran `tributary party` first keeps its node: main seals the file's key, then the file goes", async () => {
    const pem = createNodeKeyPem();
    await fsp.writeFile(keyFile, pem, { mode: 0o600 });
    const services = servicesBehindPort(sealedNodeKeys(secrets), nodeKeyStorageOption(secrets));
    try {
      expect(await call(services, 'party.nodeKey', { file: config })).toMatchObject({ fingerprint: fingerprintOf(pem), storage: 'file' });
      const joined = await call(services, 'party.join', { file: config });
      expect(joined.node).toEqual({ keyFile, fingerprint: fingerprintOf(pem) });
      expect(secrets.get(nodeKeySecretName(keyFile))).toBe(pem);
      expect(existsSync(keyFile)).toBe(false);
      expect(await call(services, 'party.nodeKey', { file: config })).toMatchObject({
        fingerprint: fingerprintOf(pem),
        storage: 'keychain',
      });
    } finally {
      await services.stop();
    }
  });

  it('on basic_text the key is the 0600 key file, nothing is sealed, and the Federation page is told why', async () => {
    basicText();
    const services = servicesBehindPort(sealedNodeKeys(secrets), nodeKeyStorageOption(secrets));
    try {
      const joined = await call(services, 'party.join', { file: config });
      expect((await fsp.stat(keyFile)).mode & 0o777).toBe(0o600);
      expect(joined.node).toEqual({ keyFile, fingerprint: fingerprintOf(await fsp.readFile(keyFile, 'utf8')) });
      expect(electron.safeStorage.encryptString).not.toHaveBeenCalled();
      expect(await call(services, 'party.nodeKey', { file: config })).toMatchObject({
        storage: 'file',
        storageNote: expect.stringContaining('not sealed: this system has no keyring'),
      });
    } finally {
      await services.stop();
    }
  });

  it('a key created before joining is sealed by main, and it is the key the next join uses (register: false)', async () => {
    const services = servicesBehindPort(sealedNodeKeys(secrets), nodeKeyStorageOption(secrets));
    try {
      const created = await call(services, 'party.createNodeKey', { file: config });
      expect(created).toMatchObject({ storage: 'keychain', fingerprint: fingerprintOf(secrets.get(nodeKeySecretName(keyFile))!) });
      expect(existsSync(keyFile)).toBe(false);
      await call(services, 'party.savePublicKey', { file: config });
      expect(await fsp.readFile(path.join(dir, 'node-key.pub'), 'utf8')).toBe(`${created.publicKeySsh as string}\n`);
      const joined = await call(services, 'party.join', { file: config });
      expect(joined.node).toEqual({ keyFile, fingerprint: created.fingerprint });
      await fleet.activeNode();
    } finally {
      await services.stop();
    }
  });

  it('on basic_text a key created before joining is the 0600 key file, and the next join uses it', async () => {
    basicText();
    const services = servicesBehindPort(sealedNodeKeys(secrets), nodeKeyStorageOption(secrets));
    try {
      const created = await call(services, 'party.createNodeKey', { file: config });
      expect(created).toMatchObject({ storage: 'file', fingerprint: fingerprintOf(await fsp.readFile(keyFile, 'utf8')) });
      expect((await fsp.stat(keyFile)).mode & 0o777).toBe(0o600);
      const joined = await call(services, 'party.join', { file: config });
      expect(joined.node).toEqual({ keyFile, fingerprint: created.fingerprint });
      expect(electron.safeStorage.encryptString).not.toHaveBeenCalled();
    } finally {
      await services.stop();
    }
  });

  it('a sealed key the keychain no longer opens: joins fail pointing to Reset, reset deletes it, the next join is a new node', async () => {
    const services = servicesBehindPort(sealedNodeKeys(secrets), nodeKeyStorageOption(secrets));
    try {
      const lost = await call(services, 'party.createNodeKey', { file: config });
      const unseal = electron.safeStorage.decryptString.getMockImplementation()!;
      electron.safeStorage.decryptString.mockImplementation(() => {
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      });
      const refused = await services.call('party.join', { file: config });
      expect(refused).toMatchObject({
        ok: false,
        error: {
          code: 'failed',
          message: expect.stringContaining(`cannot unseal the node key sealed for ${keyFile}: Error while decrypting`),
        },
      });
      expect(!refused.ok && refused.error.message).toContain('"Reset node key" on the Federation page deletes it');
      expect(await call(services, 'party.nodeKey', { file: config })).toMatchObject({
        fingerprint: null,
        problem: expect.stringContaining('"Reset node key"'),
      });

      await call(services, 'party.resetNodeKey', { file: config, fingerprint: null });
      expect(secrets.get(nodeKeySecretName(keyFile))).toBeUndefined();
      electron.safeStorage.decryptString.mockImplementation(unseal);
      const joined = await call(services, 'party.join', { file: config });
      const sealed = secrets.get(nodeKeySecretName(keyFile))!;
      expect(joined.node).toEqual({ keyFile, fingerprint: fingerprintOf(sealed) });
      expect(fingerprintOf(sealed)).not.toBe(lost.fingerprint);
    } finally {
      await services.stop();
    }
  });
});
