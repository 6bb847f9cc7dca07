// Test helper (Node): the desktop app's keychain as the services see it (sealed node keys by key_file path, in memory), and what party.nodeKey says of a key.
import { expect } from 'vitest';
import { nodeIdentityFromPem } from '../../../main/federation/transport/node-identity.js';
import type { NodeKeyVault } from '../../../main/services/node-key-vault.js';

/** party.nodeKey's fields about the key itself, when there is none. */
export const NO_KEY = { fingerprint: null, problem: null, publicKey: null, publicKeySsh: null } as const;

/** party.nodeKey's fields about a usable key: its fingerprint and its public key as PEM and as OpenSSH's line. */
export function keyFacts(pem: string) {
  const { fingerprint, publicKeyPem } = nodeIdentityFromPem(pem, 'test');
  const publicKeySsh = expect.stringMatching(new RegExp(`^ecdsa-sha2-nistp384 [A-Za-z0-9+/]+=* tributary-node-${fingerprint}$`));
  return { fingerprint, problem: null, publicKey: Buffer.from(publicKeyPem).toString(), publicKeySsh };
}

export class MemoryVault implements NodeKeyVault {
  readonly keys = new Map<string, string>();
  readonly asked: string[] = [];
  /** What load answers instead of the key, to stand for a seal that does not read back. */
  readsBack: ((pem: string) => string) | undefined;

  load = async (keyFile: string): Promise<string | undefined> => {
    this.asked.push(`load ${keyFile}`);
    const pem = this.keys.get(keyFile);
    return pem !== undefined && this.readsBack ? this.readsBack(pem) : pem;
  };

  save = async (keyFile: string, pem: string): Promise<void> => {
    this.asked.push(`save ${keyFile}`);
    this.keys.set(keyFile, pem);
  };

  delete = async (keyFile: string): Promise<void> => {
    this.asked.push(`delete ${keyFile}`);
    this.keys.delete(keyFile);
  };
}
