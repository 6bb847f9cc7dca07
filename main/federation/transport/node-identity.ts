// Runs anywhere in main: the party's node key (EC P-384), kept in a 0600 file so a restarted party is the same node.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { asBytes } from './bytes.js';

/** The key a node signs its gRPC calls with; the SuperLink knows the node by the public half. */
export interface NodeIdentity {
  /** PEM SubjectPublicKeyInfo bytes: what RegisterNode/ActivateNode carry and `flwr-public-key-bin` holds. */
  readonly publicKeyPem: Uint8Array;
  /** Short SHA-256 fingerprint of the public key (DER) for operators to compare, e.g. `3fa2-91c0-77de-0b14`. */
  readonly fingerprint: string;
  /** ECDSA-SHA256 signature, DER encoded, as Flower's verifier expects. */
  sign(data: Uint8Array): Uint8Array;
}

/** `3fa2-91c0-77de-0b14`: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo of a PEM public key. */
export function publicKeyFingerprint(publicKeyPem: Uint8Array): string {
  const der = createPublicKey({ key: Buffer.from(publicKeyPem), format: 'pem' }).export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(der).digest('hex');
  return digest.slice(0, 16).match(/.{4}/g)!.join('-');
}

function identityFromPrivateKey(privateKey: KeyObject): NodeIdentity {
  if (privateKey.asymmetricKeyType !== 'ec') {
    throw new Error(`a node key must be an EC key (Flower uses P-384), not ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const publicKeyPem = asBytes(Buffer.from(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' })));
  return {
    publicKeyPem,
    fingerprint: publicKeyFingerprint(publicKeyPem),
    sign: (data) => asBytes(sign('sha256', data, privateKey)),
  };
}

function newNodeKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey;
}

/** A key held in memory only, for tests and one-off tools; a party keeps its key with loadOrCreateNodeIdentity. */
export function generateNodeIdentity(): NodeIdentity {
  return identityFromPrivateKey(newNodeKey());
}

function identityFromKeyFile(file: string, pem: string): NodeIdentity {
  try {
    return identityFromPrivateKey(createPrivateKey({ key: pem, format: 'pem' }));
  } catch (error) {
    throw new Error(`${file}: not a usable node key (PEM EC private key expected): ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The node key at `file`, created there (folder 0700, file 0600) on first use. A new key is written to a temp
 * file and hard-linked into place, so a crash never leaves half a key and two parties starting at once on the
 * same file end up with the same key instead of one silently overwriting the other.
 */
export async function loadOrCreateNodeIdentity(file: string): Promise<NodeIdentity> {
  const existing = await readIfPresent(file);
  if (existing !== undefined) return identityFromKeyFile(file, existing);
  const key = newNodeKey();
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeDurably(temp, key.export({ type: 'pkcs8', format: 'pem' }).toString());
    if (await linkUnlessPresent(temp, file)) return identityFromPrivateKey(key);
  } finally {
    await fsp.rm(temp, { force: true });
  }
  // Another process created the key in the meantime: that one is the node's.
  return identityFromKeyFile(file, await fsp.readFile(file, 'utf8'));
}

async function linkUnlessPresent(source: string, target: string): Promise<boolean> {
  try {
    await fsp.link(source, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await fsp.open(file, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
