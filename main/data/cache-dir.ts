// Runs anywhere in main: where Tributary keeps caches when the config does not say (the platform's per-user cache folder).
import os from 'node:os';
import path from 'node:path';

export function defaultCacheDir(): string {
  const env = process.env;
  if (env.TRIBUTARY_CACHE_DIR) return env.TRIBUTARY_CACHE_DIR;
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'Tributary', 'Cache');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'Tributary');
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tributary');
}
