// Runs in main (plain Node): a built-in handler's files and folders that are not there, found as the config is typed, before any save or scan.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { BUILTIN_INFO_SCHEMAS } from '../../common/data-config.js';
import type { LoadedConfig } from '../config/party-config.js';
import type { ConfigIssue } from '../config/errors.js';
import { PATH_KEYS } from '../data/layout/handlers.js';

/** The paths a built-in's `info` names (a Dicom key may hold a list), each on its key and line; a site handler's `info` is its own. */
export async function missingPaths({ file, baseDir, config, lineOf }: LoadedConfig): Promise<ConfigIssue[]> {
  const { name, info } = config.data;
  if (config.data.path !== undefined || !Object.hasOwn(BUILTIN_INFO_SCHEMAS, name)) return [];
  const issues: ConfigIssue[] = [];
  for (const key of PATH_KEYS[name as keyof typeof PATH_KEYS]) {
    const values = ([] as unknown[]).concat(info[key] ?? []).filter((v): v is string => typeof v === 'string');
    for (const [i, value] of values.entries()) {
      const resolved = path.resolve(baseDir, value);
      const there = await stat(resolved).then(
        () => true,
        (error: NodeJS.ErrnoException) => error.code !== 'ENOENT' && error.code !== 'ENOTDIR',
      );
      const at = Array.isArray(info[key]) ? ['data', 'info', key, i] : ['data', 'info', key];
      if (!there) issues.push({ file, key: at.join('.'), line: lineOf(at), problem: `${resolved} does not exist` });
    }
  }
  return issues;
}
