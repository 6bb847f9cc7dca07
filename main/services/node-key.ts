// Runs in the services process (plain Node): the node key a config names, looked at without creating it (joining does that).
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultIn } from '../../common/contract/contract.js';
import type { LoadedConfig } from '../config/party-config.js';
import { publicKeyFingerprint } from '../federation/transport/node-identity.js';

type NodeKeyInfo = ResultIn<'party.nodeKey'>;

/** The fingerprint the server will know this site by: the same one the party prints when it joins. */
export async function nodeKeyOf({ config, baseDir }: LoadedConfig): Promise<NodeKeyInfo> {
  if (!config.federation) return { keyFile: null, fingerprint: null, problem: null };
  const keyFile = path.resolve(baseDir, config.federation.key_file);
  let pem: string;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { keyFile, fingerprint: null, problem: missing ? null : `cannot read it: ${(error as Error).message}` };
  }
  try {
    const publicPem = createPublicKey(createPrivateKey({ key: pem, format: 'pem' })).export({ type: 'spki', format: 'pem' });
    return { keyFile, fingerprint: publicKeyFingerprint(Buffer.from(publicPem)), problem: null };
  } catch (error) {
    return { keyFile, fingerprint: null, problem: `not a usable node key (PEM private key expected): ${(error as Error).message}` };
  }
}
