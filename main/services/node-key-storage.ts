// Runs in the services process (plain Node): where the party's node key is kept (sealed by the desktop app, or a key file),
// and moving a key file into the seal.
import { readFile, rm } from 'node:fs/promises';
import type { NodeKeySource } from '../federation/transport/node-identity.js';
import { nodeIdentityFromPem, nodeKeyAsPkcs8Pem } from '../federation/transport/node-identity.js';
import type { NodeKeyVault } from './node-key-vault.js';

/**
 * `keychain`: the desktop app's main process seals each key with the OS keychain (safeStorage) and keeps it in its
 * settings, under the key_file path the key stands in for. `file`: the key_file itself, `note` saying why.
 */
export type NodeKeyStorage = { kind: 'keychain'; vault: NodeKeyVault } | { kind: 'file'; note: string };

export const KEY_FILE_NOTE = 'In the key file, readable by this user only (mode 0600), as `tributary party` keeps it.';

/** The console's, and the tests': the party keeps its key_file as the CLI does. */
export const KEY_FILES: Extract<NodeKeyStorage, { kind: 'file' }> = { kind: 'file', note: KEY_FILE_NOTE };

export const SEALED_NOTE = "Sealed by this computer's keychain in Tributary's settings: never on disk in plain text.";

export const MOVED_AT_JOIN_NOTE =
  "In the key file (made by `tributary party`, or by hand). The next join moves it into this computer's keychain and deletes the " +
  'file: the same key, so the same node; `tributary party` on this config would then make a new key.';

export const OTHER_FILE_NOTE = `${SEALED_NOTE} The key file at that path holds another key (from \`tributary party\`?), which this app leaves alone.`;

/**
 * The party's key sealed under `keyFile`. A key file already there (a site that ran `tributary party` first) is that
 * node's key: the first load moves it in, so the site stays the same node and no private key stays on disk.
 */
export function sealedNodeKey(vault: NodeKeyVault, keyFile: string, onNotice: (message: string) => void): NodeKeySource {
  const label = `this computer's keychain (sealed for ${keyFile})`;
  return {
    label,
    load: () => loadOrMoveIn(vault, keyFile, label, onNotice),
    save: (pem) => vault.save(keyFile, pem),
    retire: () => vault.delete(keyFile),
  };
}

/**
 * Why a sealed key cannot be unsealed, and the way out. safeStorage only says decryption failed: the keychain may
 * have refused this once (macOS asks), or lost the key for good (a reset keychain, settings copied from another
 * computer), when no join can ever succeed again until the key is deleted.
 */
export function unsealProblem(keyFile: string, error: unknown): string {
  return (
    `cannot unseal the node key sealed for ${keyFile}: ${(error as Error).message}. If access was refused, allow it and try again; ` +
    "if this computer's keychain was reset (or the settings came from another computer), the key is lost: " +
    '"Reset node key" on the Federation page deletes it, and the next join makes a new key, a new node ' +
    '(with `register: false` the coordinator registers its public key first)'
  );
}

async function loadOrMoveIn(
  vault: NodeKeyVault,
  keyFile: string,
  label: string,
  onNotice: (message: string) => void,
): Promise<string | undefined> {
  const unsealed = vault.load(keyFile).catch((error: unknown) => {
    throw new Error(unsealProblem(keyFile, error), { cause: error });
  });
  const [sealed, filed] = await Promise.all([unsealed, readKeyFile(keyFile)]);
  if (filed === undefined) return sealed;
  if (sealed === undefined) return moveIn(vault, keyFile, filed, onNotice);
  const sealedKey = nodeIdentityFromPem(sealed, label).fingerprint;
  if (sealedKey === fingerprintOrNull(filed, keyFile)) {
    await rm(keyFile); // a move that sealed the key and then could not delete the file: finish it
  } else {
    onNotice(
      `node key ${sealedKey} is the one sealed for ${keyFile}; the file there holds another key (from \`tributary party\`?) and is left alone`,
    );
  }
  return sealed;
}

/** The file goes only once the sealed copy has been written and read back the same: a failed move leaves the file, so the node keeps its key. */
async function moveIn(vault: NodeKeyVault, keyFile: string, filed: string, onNotice: (message: string) => void): Promise<string> {
  const pem = nodeKeyAsPkcs8Pem(filed, keyFile);
  await vault.save(keyFile, pem);
  if ((await vault.load(keyFile)) !== pem) {
    throw new Error(
      `the node key from ${keyFile} did not read back from this computer's keychain as it was sealed; the file is kept and nothing was joined`,
    );
  }
  await rm(keyFile);
  const { fingerprint } = nodeIdentityFromPem(pem, keyFile);
  onNotice(
    `node key ${fingerprint} moved from ${keyFile} into this computer's keychain and the file deleted: this site is the same node. ` +
      '`tributary party` on this config would now make a new key (a new node)',
  );
  return pem;
}

function fingerprintOrNull(pem: string, source: string): string | null {
  try {
    return nodeIdentityFromPem(pem, source).fingerprint;
  } catch {
    return null;
  }
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the node key file ${file}: ${(error as Error).message}`, { cause: error });
  }
}
