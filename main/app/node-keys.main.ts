// Runs in Electron main: the party's node keys sealed by safeStorage in the app's settings, answered to the services process;
// key files where nothing can seal them.
import type { NodeKeyStorageOption } from '../services/port-protocol.js';
import type { NodeKeyKeeper } from '../services/supervisor.js';
import { NO_KEYRING } from './secrets.main.js';
import type { SecretStore } from './secrets.main.js';

/**
 * One secret per resolved key_file path, not per server: the config's key_file already names this site's node, so
 * the desktop app and `tributary party` agree on which node a config is (a key file moves in as the same node), two
 * configs with different key files stay different nodes, and a key the coordinator registered (`register: false`)
 * stays bound to its config whatever the server's address becomes.
 */
export function nodeKeySecretName(keyFile: string): string {
  return `node-key:${keyFile}`;
}

/** Told to the services at each start: the backend is chosen once per run, so a restarted process hears the same. */
export function nodeKeyStorageOption(secrets: SecretStore): NodeKeyStorageOption {
  if (secrets.available()) return { kind: 'keychain' };
  return { kind: 'file', note: `In the key file, readable by this user only (mode 0600), not sealed: ${NO_KEYRING}.` };
}

/**
 * The services' requests, already checked against the port protocol's schema by the supervisor. Only `node-key:`
 * secrets are reachable this way: the services process runs a site's own handler code, and other secrets are not its business.
 */
export function sealedNodeKeys(secrets: SecretStore): NodeKeyKeeper {
  return async (request) => {
    const name = nodeKeySecretName(request.keyFile);
    if (request.op === 'load') return secrets.get(name) ?? null;
    if (request.op === 'save') secrets.set(name, request.pem);
    else secrets.delete(name);
    return null;
  };
}
