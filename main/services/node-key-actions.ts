// Runs in the services process (plain Node): what the operator does to a node key without joining:
// create it, save its public half for the coordinator, reset it.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ResultIn } from '../../common/contract/contract.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/party-config.js';
import { createNodeKeyPem, loadOrCreateNodeIdentity } from '../federation/transport/node-identity.js';
import { lookAtKeyFile, nodeKeyOf } from './node-key.js';
import type { NodeKeyInfo } from './node-key.js';
import type { NodeKeyStorage } from './node-key-storage.js';
import type { NodeKeyVault } from './node-key-vault.js';
import { ServiceError } from './service-errors.js';

type SavedPublicKey = ResultIn<'party.savePublicKey'>;
type ResetNodeKey = ResultIn<'party.resetNodeKey'>;

/**
 * The key a join would otherwise make on its first run, made now and kept exactly where that join looks for it (the
 * same code for a key file, the same sealed name for the keychain), so the public key a coordinator registers is the
 * one the site then joins with.
 */
export async function createNodeKey(loaded: LoadedConfig, storage: NodeKeyStorage): Promise<NodeKeyInfo> {
  const keyFile = keyFileOf(loaded);
  const current = await nodeKeyOf(loaded, storage);
  if (current.fingerprint !== null)
    throw new ServiceError('failed', `${keyFile} already has node key ${current.fingerprint}: reset it first to make another`);
  if (current.problem !== null)
    throw new ServiceError('failed', `${keyFile}: a node key is there that cannot be used (${current.problem}); reset it first`);
  if (storage.kind === 'file') await loadOrCreateNodeIdentity(keyFile);
  else await sealNewKey(storage.vault, keyFile);
  return nodeKeyOf(loaded, storage);
}

/** Read back before it counts as made, as a key file moved in is: a seal that does not read back would fail every join. */
async function sealNewKey(vault: NodeKeyVault, keyFile: string): Promise<void> {
  const pem = createNodeKeyPem();
  await vault.save(keyFile, pem);
  if ((await vault.load(keyFile)) !== pem) {
    await vault.delete(keyFile);
    throw new Error(`the node key made for ${keyFile} did not read back from this computer's keychain as it was sealed; nothing was kept`);
  }
}

/**
 * The OpenSSH line, as `flwr supernode register` reads it. A file already there that says anything else (the public
 * key of a key since reset, say) is left alone unless the operator asked to replace it.
 */
export async function savePublicKey(loaded: LoadedConfig, storage: NodeKeyStorage, overwrite: boolean): Promise<SavedPublicKey> {
  const keyFile = keyFileOf(loaded);
  const { fingerprint, problem, publicKeySsh, publicKeyFile } = await nodeKeyOf(loaded, storage);
  if (problem !== null)
    throw new ServiceError('failed', `${keyFile}: the node key cannot be used (${problem}), so it has no public key to save`);
  if (fingerprint === null || publicKeyFile === null) throw new ServiceError('failed', `${keyFile}: no node key yet: create it first`);
  if (publicKeySsh === null)
    throw new ServiceError(
      'failed',
      `${keyFile}: node key ${fingerprint} is not on a NIST curve, which Flower requires; reset it and create a new one`,
    );
  const text = `${publicKeySsh}\n`;
  const existing = await readIfThere(publicKeyFile);
  const saved = { publicKeyFile, fingerprint };
  if (existing === text) return { ...saved, outcome: 'unchanged' };
  if (existing !== undefined && !overwrite) return { ...saved, outcome: 'kept' };
  const written = await writePublicFile(publicKeyFile, text, existing !== undefined);
  return { ...saved, outcome: written ? (existing === undefined ? 'written' : 'replaced') : 'kept' };
}

/**
 * Deletes the key in use, and only the one the operator confirmed: a page that showed an older key (another window
 * reset it, a join made one) deletes nothing. A key file that holds the same key as the seal (a move that stopped
 * half-way) goes too, or it would come back as the same node on the next join.
 */
export async function resetNodeKey(loaded: LoadedConfig, storage: NodeKeyStorage, confirmed: string | null): Promise<ResetNodeKey> {
  const keyFile = keyFileOf(loaded);
  const current = await nodeKeyOf(loaded, storage);
  if (current.fingerprint === null && current.problem === null) throw new ServiceError('failed', `${keyFile}: no node key to reset`);
  if (current.fingerprint !== confirmed) {
    const now = current.fingerprint ?? 'one that cannot be read';
    throw new ServiceError(
      'failed',
      `${keyFile}: the node key is ${now} by now, not the ${confirmed ?? 'unreadable one'} confirmed; nothing was deleted: look at it again`,
    );
  }
  const removed =
    storage.kind === 'keychain' && current.storage === 'keychain'
      ? await deleteSealed(storage.vault, keyFile, current.fingerprint)
      : await deleteKeyFile(keyFile);
  const stalePublic = await deleteOwnPublicFile(current.publicKeyFile, current.publicKeySsh);
  return { removed: stalePublic ? `${removed}, and its public key ${stalePublic}` : removed, nodeKey: await nodeKeyOf(loaded, storage) };
}

/**
 * The saved public key of the key just deleted goes too, so no coordinator is later sent a key that no longer exists;
 * a file saying anything else (edited, or another key's) is left alone. Returns the file deleted, or null.
 */
async function deleteOwnPublicFile(publicKeyFile: string | null, publicKeySsh: string | null): Promise<string | null> {
  if (publicKeyFile === null || publicKeySsh === null || (await readIfThere(publicKeyFile)) !== `${publicKeySsh}\n`) return null;
  await fsp.rm(publicKeyFile, { force: true });
  return publicKeyFile;
}

async function deleteSealed(vault: NodeKeyVault, keyFile: string, fingerprint: string | null): Promise<string> {
  await vault.delete(keyFile);
  const filed = fingerprint === null ? null : await lookAtKeyFile(keyFile);
  if (filed?.fingerprint !== fingerprint) return `the key sealed for ${keyFile}`;
  await deleteKeyFile(keyFile);
  return `the key sealed for ${keyFile}, and the key file holding the same key`;
}

async function deleteKeyFile(keyFile: string): Promise<string> {
  await fsp.rm(keyFile, { force: true }).catch((error: unknown) => {
    throw new Error(`cannot delete the node key file ${keyFile}: ${(error as Error).message}`, { cause: error });
  });
  return keyFile;
}

/** The config's key_file: every node key action needs a `federation:` section to name it. */
function keyFileOf({ config, file, baseDir }: LoadedConfig): string {
  if (!config.federation) {
    throw new ConfigError({
      file,
      key: 'federation',
      problem: 'missing: the node key is named by `federation.key_file`, so the config needs a `federation:` section',
    });
  }
  return path.resolve(baseDir, config.federation.key_file);
}

async function readIfThere(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Whole or not at all: written to a temp file, then renamed over the old one (replace) or linked into place, which
 * fails rather than overwrite a file that appeared meanwhile (then false). A public key may be read by anyone: 0644.
 */
async function writePublicFile(file: string, text: string, replace: boolean): Promise<boolean> {
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    await fsp.writeFile(temp, text, { mode: 0o644, flag: 'wx' });
    if (replace) await fsp.rename(temp, file);
    else await fsp.link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && !replace) return false;
    throw new Error(`cannot write the public key to ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    await fsp.rm(temp, { force: true });
  }
}
