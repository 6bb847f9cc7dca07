// Runs in main (plain Node): checks a party config given as text (an editor's unsaved buffer) as if it were the file.
import path from 'node:path';
import type { ConfigCheck } from '../../common/contract/config-api.js';
import type { ConfigIssue } from '../../common/contract/config-issue.js';
import { PartyConfigSchema } from '../../common/party-config.js';
import { ConfigError } from '../config/errors.js';
import { validateSection } from '../config/party-config.js';
import type { LoadedConfig } from '../config/party-config.js';
import { parseYamlConfig } from '../config/yaml-config.js';
import type { YamlConfig } from '../config/yaml-config.js';
import { loadDataHandler } from '../data/handler-loader.js';
import { memoryIssues } from './config-memory.js';
import { missingPaths } from './config-paths.js';
import { contractIssue } from './service-errors.js';

/**
 * The same checks loadPartyConfig and the handler loader make, from text rather than a file, by the same reader and
 * with the same wording: YAML syntax and aliases, the whole file's schema, then a built-in handler's `info`.
 * A site's own handler module is not loaded here: that runs site code, which a scan does deliberately.
 */
export async function checkConfigText(text: string, file: string): Promise<ConfigCheck> {
  const absolute = path.resolve(file);
  let yaml: YamlConfig;
  try {
    yaml = parseYamlConfig(text, absolute);
  } catch (error) {
    return { parsed: null, valid: false, issues: configIssues(error) }; // no YAML mapping, so nothing parsed to show
  }
  const issues = await problems(yaml.value, { file: absolute, baseDir: path.dirname(absolute), lineOf: yaml.lineOf });
  return { parsed: yaml.value, valid: issues.length === 0, issues };
}

async function problems(value: Record<string, unknown>, place: Omit<LoadedConfig, 'config'>): Promise<ConfigIssue[]> {
  try {
    const config = validateSection(PartyConfigSchema, value, place);
    if (config.data.path === undefined) await loadDataHandler({ ...place, config });
    // A folder that is not there, or a batch that cannot fit in memory, is found as it is typed, not at the next scan.
    return [...(await missingPaths({ ...place, config })), ...memoryIssues({ ...place, config })].map(contractIssue);
  } catch (error) {
    return configIssues(error);
  }
}

function configIssues(error: unknown): ConfigIssue[] {
  if (!(error instanceof ConfigError)) throw error;
  return error.issues.map(contractIssue);
}
