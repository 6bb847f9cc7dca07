// Runs in the services process (plain Node): the node key a config names, looked at without creating it (joining does that), and where it is kept.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultIn } from '../../common/contract/contract.js';
import type { LoadedConfig } from '../config/party-config.js';
import { publicKeyFingerprint } from '../federation/transport/node-identity.js';
import { MOVED_AT_JOIN_NOTE, OTHER_FILE_NOTE, SEALED_NOTE } from './node-key-storage.js';
import type { NodeKeyStorage } from './node-key-storage.js';
import type { NodeKeyVault } from './node-key-vault.js';

type NodeKeyInfo = ResultIn<'party.nodeKey'>;

/** A key looked at: its fingerprint, or why it cannot be used; null when there is none. */
type Seen = { fingerprint: string; problem: null } | { fingerprint: null; problem: string } | null;

const NONE = { fingerprint: null, problem: null } as const;

/** The fingerprint the server will know this site by (the same one the party prints when it joins), and where the key is kept. */
export async function nodeKeyOf({ config, baseDir }: LoadedConfig, storage: NodeKeyStorage): Promise<NodeKeyInfo> {
  if (!config.federation) return { keyFile: null, ...NONE, storage: null, storageNote: null };
  const keyFile = path.resolve(baseDir, config.federation.key_file);
  const filed = await lookAtKeyFile(keyFile);
  if (storage.kind === 'file') return { keyFile, ...(filed ?? NONE), storage: 'file', storageNote: storage.note };
  const sealed = await lookAtSealedKey(storage.vault, keyFile);
  // A key file and nothing sealed: the next join moves the file's key in (sealedNodeKey), so until then it is the file's.
  if (!sealed && filed) return { keyFile, ...filed, storage: 'file', storageNote: MOVED_AT_JOIN_NOTE };
  const otherFile = sealed !== null && filed !== null && filed.fingerprint !== sealed.fingerprint;
  return { keyFile, ...(sealed ?? NONE), storage: 'keychain', storageNote: otherFile ? OTHER_FILE_NOTE : SEALED_NOTE };
}

async function lookAtKeyFile(keyFile: string): Promise<Seen> {
  let pem: string;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { fingerprint: null, problem: `cannot read it: ${(error as Error).message}` };
  }
  return lookAt(pem);
}

async function lookAtSealedKey(vault: NodeKeyVault, keyFile: string): Promise<Seen> {
  let pem: string | undefined;
  try {
    pem = await vault.load(keyFile);
  } catch (error) {
    return { fingerprint: null, problem: `cannot unseal it: ${(error as Error).message}` };
  }
  return pem === undefined ? null : lookAt(pem);
}

function lookAt(pem: string): Seen {
  try {
    const publicPem = createPublicKey(createPrivateKey({ key: pem, format: 'pem' })).export({ type: 'spki', format: 'pem' });
    return { fingerprint: publicKeyFingerprint(Buffer.from(publicPem)), problem: null };
  } catch (error) {
    return { fingerprint: null, problem: `not a usable node key (PEM private key expected): ${(error as Error).message}` };
  }
}
