// Runs in the services process (plain Node): the node key a config names, looked at without creating it: fingerprint, public key, where it is kept.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultIn } from '../../common/contract/contract.js';
import type { LoadedConfig } from '../config/party-config.js';
import { publicKeyFingerprint } from '../federation/transport/node-identity.js';
import { MOVED_AT_JOIN_NOTE, OTHER_FILE_NOTE, SEALED_NOTE, unsealProblem } from './node-key-storage.js';
import type { NodeKeyStorage } from './node-key-storage.js';
import type { NodeKeyVault } from './node-key-vault.js';
import { openSshPublicKey, publicKeyPem } from './public-key-text.js';

export type NodeKeyInfo = ResultIn<'party.nodeKey'>;

/** A key looked at: its fingerprint and public key, or why it cannot be used; null when there is none. */
type Seen =
  | { fingerprint: string; problem: null; publicKey: string; publicKeySsh: string | null }
  | { fingerprint: null; problem: string; publicKey: null; publicKeySsh: null }
  | null;

const NONE = { fingerprint: null, problem: null, publicKey: null, publicKeySsh: null } as const;

/** The fingerprint the server will know this site by (the same one the party prints when it joins), its public key, and where the key is kept. */
export async function nodeKeyOf({ config, baseDir }: LoadedConfig, storage: NodeKeyStorage): Promise<NodeKeyInfo> {
  if (!config.federation) return { keyFile: null, ...NONE, storage: null, storageNote: null, publicKeyFile: null };
  const keyFile = path.resolve(baseDir, config.federation.key_file);
  const place = { keyFile, publicKeyFile: publicKeyFileFor(baseDir, keyFile) };
  const filed = await lookAtKeyFile(keyFile);
  if (storage.kind === 'file') return { ...place, ...(filed ?? NONE), storage: 'file', storageNote: storage.note };
  const sealed = await lookAtSealedKey(storage.vault, keyFile);
  // A key file and nothing sealed: the next join moves the file's key in (sealedNodeKey), so until then it is the file's.
  if (!sealed && filed) return { ...place, ...filed, storage: 'file', storageNote: MOVED_AT_JOIN_NOTE };
  const otherFile = sealed !== null && filed !== null && filed.fingerprint !== sealed.fingerprint;
  return { ...place, ...(sealed ?? NONE), storage: 'keychain', storageNote: otherFile ? OTHER_FILE_NOTE : SEALED_NOTE };
}

/**
 * Beside the config, where the operator finds it, named after the key: `node-key.pem` gives `node-key.pub` (the name
 * `ssh-keygen -y` output is given by habit). A key_file that already ends in .pub gets a second one, so the public
 * key can never land on the private key's file.
 */
export function publicKeyFileFor(baseDir: string, keyFile: string): string {
  const { name, ext } = path.parse(keyFile);
  return path.join(baseDir, ext === '.pub' ? `${name}${ext}.pub` : `${name}.pub`);
}

/** The key file's key, null when there is no file. */
export async function lookAtKeyFile(keyFile: string): Promise<Seen> {
  let pem: string;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { ...NONE, problem: `cannot read it: ${(error as Error).message}` };
  }
  return lookAt(pem);
}

async function lookAtSealedKey(vault: NodeKeyVault, keyFile: string): Promise<Seen> {
  let pem: string | undefined;
  try {
    pem = await vault.load(keyFile);
  } catch (error) {
    return { ...NONE, problem: unsealProblem(keyFile, error) };
  }
  return pem === undefined ? null : lookAt(pem);
}

function lookAt(pem: string): Seen {
  try {
    const publicKey = createPublicKey(createPrivateKey({ key: pem, format: 'pem' }));
    const pemText = publicKeyPem(publicKey);
    const fingerprint = publicKeyFingerprint(Buffer.from(pemText));
    return { fingerprint, problem: null, publicKey: pemText, publicKeySsh: openSshPublicKey(publicKey, `tributary-node-${fingerprint}`) };
  } catch (error) {
    return { ...NONE, problem: `not a usable node key (PEM private key expected): ${(error as Error).message}` };
  }
}
