// Runs in the services process (plain Node): what joining needs of a saved config, checked up front with every problem on its key and line.
import path from 'node:path';
import type { FederationSection } from '../../common/federation-config.js';
import { ConfigError } from '../config/errors.js';
import { loadPartyConfig } from '../config/party-config.js';
import type { LoadedConfig } from '../config/party-config.js';
import { readPem } from '../federation/transport/tls-files.js';

export interface JoinableConfig {
  loaded: LoadedConfig;
  section: FederationSection;
}

/**
 * A config the party can join with: it loads, it has a model (every site trains the same architecture) and a
 * `federation:` section, and its CA file is there. Caught here, each problem lands beside its field in the UI,
 * rather than surfacing as a transport error after the training thread has started.
 */
export async function loadJoinableConfig(file: string): Promise<JoinableConfig> {
  const loaded = await loadPartyConfig(file);
  const { config, baseDir } = loaded;
  const at = (key: string, problem: string) => ({ file: loaded.file, key, problem, ...lineOf(loaded, key) });
  if (!config.model)
    throw new ConfigError(at('model', 'missing: a party needs a `model:` section (the architecture every site of the federation trains)'));
  const section = config.federation;
  if (!section) throw new ConfigError(at('federation', 'missing: joining needs a `federation:` section (at least `server:`)'));
  if (section.root_ca !== undefined) {
    await readPem(path.resolve(baseDir, section.root_ca), 'CA').catch((error: unknown) => {
      throw new ConfigError(at('federation.root_ca', (error as Error).message));
    });
  }
  return { loaded, section };
}

function lineOf(loaded: LoadedConfig, key: string): { line?: number } {
  const line = loaded.lineOf(key.split('.'));
  return line === undefined ? {} : { line };
}
