// Runs anywhere in main: the party's node key (EC P-384): made, read from PEM, or kept in a 0600 file so a restarted party is the same node.
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

function pkcs8Pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A key held in memory only, for tests and one-off tools; a party keeps its key with loadOrCreateNodeIdentity or a NodeKeySource. */
export function generateNodeIdentity(): NodeIdentity {
  return identityFromPrivateKey(newNodeKey());
}

/** A new node key as PKCS#8 PEM, for a caller that keeps keys itself (sealed by the OS keychain, say) rather than in a file. */
export function createNodeKeyPem(): string {
  return pkcs8Pem(newNodeKey());
}

/** `source` names where the PEM came from (a file, the keychain) in the error, so the operator knows which key to look at. */
function nodePrivateKey(pem: string, source: string): KeyObject {
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'ec')
      throw new Error(`a node key must be an EC key (Flower uses P-384), not ${key.asymmetricKeyType ?? 'unknown'}`);
    return key;
  } catch (error) {
    throw new Error(`${source}: not a usable node key (PEM EC private key expected): ${(error as Error).message}`, { cause: error });
  }
}

/** The identity of a PEM private key; a bad key's error starts with `source` (a file path, the keychain's name for the key). */
export function nodeIdentityFromPem(pem: string, source: string): NodeIdentity {
  return identityFromPrivateKey(nodePrivateKey(pem, source));
}

/** The same key as PKCS#8 PEM, whatever PEM it came as (`openssl ecparam -genkey` writes SEC1), so every kept key has one form. */
export function nodeKeyAsPkcs8Pem(pem: string, source: string): string {
  return pkcs8Pem(nodePrivateKey(pem, source));
}

/**
 * A node key kept somewhere other than a key file (the desktop app seals it with the OS keychain). The party asks
 * for it on join, hands back a key it made, and retires it once its node is unregistered.
 */
export interface NodeKeySource {
  /** Where the key is kept, as messages name it, e.g. `this computer's keychain (sealed for /site/node-key.pem)`: what a path is for a key file. */
  readonly label: string;
  /** The key as PEM, or undefined when there is none yet (the first join makes one). */
  load(): Promise<string | undefined>;
  /** Keeps a key the party has just made; the party signs nothing with it before this resolves, so no node outlives its key. */
  save(pem: string): Promise<void>;
  /** Forgets the key for good: its node was unregistered, and the server never takes an unregistered key back. */
  retire(): Promise<void>;
}

/** The source's key, or a new one saved there first. */
export async function loadOrCreateNodeIdentityFrom(source: NodeKeySource): Promise<NodeIdentity> {
  const existing = await source.load();
  if (existing !== undefined) return nodeIdentityFromPem(existing, source.label);
  const pem = createNodeKeyPem();
  await source.save(pem);
  return nodeIdentityFromPem(pem, source.label);
}

/**
 * The node key at `file`, created there (folder 0700, file 0600) on first use. A new key is written to a temp
 * file and hard-linked into place, so a crash never leaves half a key and two parties starting at once on the
 * same file end up with the same key instead of one silently overwriting the other.
 */
export async function loadOrCreateNodeIdentity(file: string): Promise<NodeIdentity> {
  const existing = await readIfPresent(file);
  if (existing !== undefined) return nodeIdentityFromPem(existing, file);
  const key = newNodeKey();
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await writeDurably(temp, pkcs8Pem(key));
    if (await linkUnlessPresent(temp, file)) return identityFromPrivateKey(key);
  } finally {
    await fsp.rm(temp, { force: true });
  }
  // Another process created the key in the meantime: that one is the node's.
  return nodeIdentityFromPem(await fsp.readFile(file, 'utf8'), file);
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
