// Tests (Node): the node key file: created once with mode 0600, the same node after a restart, clear errors for bad files.
import { createPublicKey, verify } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateNodeIdentity, loadOrCreateNodeIdentity, publicKeyFingerprint } from '../../../../main/federation/transport/node-identity.js';

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
