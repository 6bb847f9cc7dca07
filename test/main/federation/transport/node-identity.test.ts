// Tests (Node): the node key: from PEM and made anew in memory, kept by a key source, or in a file created once with mode 0600; clear errors for bad keys.
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createNodeKeyPem,
  generateNodeIdentity,
  loadOrCreateNodeIdentity,
  loadOrCreateNodeIdentityFrom,
  nodeIdentityFromPem,
  nodeKeyAsPkcs8Pem,
  publicKeyFingerprint,
} from '../../../../main/federation/transport/node-identity.js';
import type { NodeKeySource } from '../../../../main/federation/transport/node-identity.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-node-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('NodeIdentity', () => {
  it('is an EC P-384 key whose public half is PEM SubjectPublicKeyInfo', () => {
    const identity = generateNodeIdentity();
    const pem = Buffer.from(identity.publicKeyPem).toString('ascii');
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    expect(createPublicKey(pem).asymmetricKeyDetails).toEqual({ namedCurve: 'secp384r1' });
  });

  it('signs with ECDSA-SHA256 (DER) that the public key verifies', () => {
    const identity = generateNodeIdentity();
    const data = Buffer.from('2026-01-01T00:00:00.000+00:00', 'ascii');
    expect(verify('sha256', data, createPublicKey(Buffer.from(identity.publicKeyPem)), identity.sign(data))).toBe(true);
  });

  it('has a short fingerprint for operators, different per key', () => {
    const [a, b] = [generateNodeIdentity(), generateNodeIdentity()];
    expect(a.fingerprint).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/);
    expect(a.fingerprint).not.toBe(b.fingerprint);
    // What the aggregator shows for a node's key is what the party shows its operator.
    expect(publicKeyFingerprint(a.publicKeyPem)).toBe(a.fingerprint);
  });
});

describe('a node key in memory', () => {
  it('is made as PKCS#8 PEM on P-384, and reads back as the identity that signs with it', () => {
    const pem = createNodeKeyPem();
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(createPrivateKey(pem).asymmetricKeyDetails).toEqual({ namedCurve: 'secp384r1' });
    const identity = nodeIdentityFromPem(pem, 'the keychain');
    const data = Buffer.from('signed');
    expect(verify('sha256', data, createPublicKey(Buffer.from(identity.publicKeyPem)), identity.sign(data))).toBe(true);
    expect(nodeIdentityFromPem(pem, 'again').fingerprint).toBe(identity.fingerprint);
    expect(createNodeKeyPem()).not.toBe(pem);
  });

  it('names the source of a PEM that is no usable node key: not PEM, or not an EC key', () => {
    expect(() => nodeIdentityFromPem('not a key', 'the keychain (node-key.pem)')).toThrow(
      /^the keychain \(node-key\.pem\): not a usable node key \(PEM EC private key expected\)/,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => nodeIdentityFromPem(rsa, 'site.pem')).toThrow(
      'site.pem: not a usable node key (PEM EC private key expected): a node key must be an EC key (Flower uses P-384), not rsa',
    );
  });

  it('converts a SEC1 key (openssl ecparam -genkey) to PKCS#8 PEM, the same key', () => {
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    const pkcs8 = nodeKeyAsPkcs8Pem(sec1, 'site.pem');
    expect(pkcs8.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(nodeIdentityFromPem(pkcs8, 'x').fingerprint).toBe(nodeIdentityFromPem(sec1, 'x').fingerprint);
    expect(() => nodeKeyAsPkcs8Pem('garbage', 'site.pem')).toThrow(/^site\.pem: not a usable node key/);
  });
});

describe('loadOrCreateNodeIdentityFrom (a key source)', () => {
  function memorySource(pem?: string) {
    const saved: string[] = [];
    const source: NodeKeySource = {
      label: 'the test keychain',
      load: async () => pem,
      save: async (made) => void saved.push(made),
      retire: async () => undefined,
    };
    return { source, saved };
  }

  it("loads the source's key and saves nothing", async () => {
    const pem = createNodeKeyPem();
    const { source, saved } = memorySource(pem);
    expect((await loadOrCreateNodeIdentityFrom(source)).fingerprint).toBe(nodeIdentityFromPem(pem, 'x').fingerprint);
    expect(saved).toEqual([]);
  });

  it('makes a key when the source has none, saves it once, and is that key', async () => {
    const { source, saved } = memorySource();
    const identity = await loadOrCreateNodeIdentityFrom(source);
    expect(saved).toHaveLength(1);
    expect(nodeIdentityFromPem(saved[0]!, 'x').fingerprint).toBe(identity.fingerprint);
  });

  it('fails when the new key cannot be saved (no node without its key), and names the source of a bad key', async () => {
    const { source } = memorySource();
    await expect(
      loadOrCreateNodeIdentityFrom({ ...source, save: () => Promise.reject(new Error('the keychain is locked')) }),
    ).rejects.toThrow('the keychain is locked');
    await expect(loadOrCreateNodeIdentityFrom(memorySource('junk').source)).rejects.toThrow(/^the test keychain: not a usable node key/);
  });
});

describe('loadOrCreateNodeIdentity', () => {
  it('creates the key file (and its folder) readable by the owner only, leaving no temp files', async () => {
    const file = path.join(dir, 'keys', 'node-key.pem');
    await loadOrCreateNodeIdentity(file);
    expect((await readFile(file, 'utf8')).startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(file))).toEqual(['node-key.pem']);
  });

  it('loads the same key after a restart, so the party stays the same node', async () => {
    const file = path.join(dir, 'node-key.pem');
    const first = await loadOrCreateNodeIdentity(file);
    const again = await loadOrCreateNodeIdentity(file);
    expect(again.publicKeyPem).toEqual(first.publicKeyPem);
    expect(again.fingerprint).toBe(first.fingerprint);
  });

  it('gives two parties starting at once on the same file the same key', async () => {
    const file = path.join(dir, 'node-key.pem');
    const identities = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateNodeIdentity(file)));
    const onDisk = await loadOrCreateNodeIdentity(file);
    for (const identity of identities) expect(identity.fingerprint).toBe(onDisk.fingerprint);
  });

  it('names the file when it holds no usable key, and never overwrites it', async () => {
    const file = path.join(dir, 'node-key.pem');
    await writeFile(file, 'not a key\n');
    await expect(loadOrCreateNodeIdentity(file)).rejects.toThrow(`${file}: not a usable node key`);
    expect(await readFile(file, 'utf8')).toBe('not a key\n');
  });
});
