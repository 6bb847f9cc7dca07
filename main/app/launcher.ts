// Runs in plain Node (`npm start`): starts the desktop app with Electron, or says plainly why it cannot and points to the browser console.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { packageRoot } from '../services/package-info.js';

interface RunResult {
  code: number | null;
  error?: Error;
}

export interface LauncherDeps {
  /** The Electron binary's path; on first launch the `electron` package downloads it, and throws when it cannot. */
  electronPath: () => string;
  run: (binary: string, args: string[]) => Promise<RunResult>;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  print: (text: string) => void;
}

export const CONSOLE_HINT = 'npm run tributary -- console   (add --config path/to/party.yaml to open one; without it, New site starts one)';

/** Exit code: Electron's own, or 1 when it cannot start (after saying why). */
export async function launchDesktop(deps: LauncherDeps): Promise<number> {
  const noDisplay = deps.platform === 'linux' && !deps.env.DISPLAY && !deps.env.WAYLAND_DISPLAY;
  if (noDisplay) return cannotStart(deps, 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)');
  let binary: string;
  try {
    binary = deps.electronPath();
  } catch (error) {
    return cannotStart(deps, `the Electron binary is not here and could not be downloaded (${firstLine(error)})`);
  }
  const result = await deps.run(binary, [packageRoot()]);
  if (result.error) return cannotStart(deps, `Electron did not run (${result.error.message})`);
  // 127: the system's loader could not find a library Electron needs; no code: a signal killed it as it started.
  if (result.code === 127) return cannotStart(deps, "Electron is missing system libraries (see the loader's message above)");
  if (result.code === null) return cannotStart(deps, 'Electron was killed by a signal (see its message above)');
  return result.code;
}

function cannotStart(deps: LauncherDeps, reason: string): number {
  deps.print(
    [
      `Tributary's desktop window cannot start here: ${reason}.`,
      'The same app runs in a browser instead: the console serves it on 127.0.0.1 with an access token, against the same services:',
      `  ${CONSOLE_HINT}`,
    ].join('\n'),
  );
  return 1;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

function runElectron(binary: string, args: string[]): Promise<RunResult> {
  const { ELECTRON_RUN_AS_NODE: _asNode, ...env } = process.env; // set, Electron would run as plain Node, not as the app
  const child = spawn(binary, args, { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('exit', (code) => resolve({ code }));
  });
}

export const defaultLauncherDeps: LauncherDeps = {
  electronPath: () => createRequire(import.meta.url)('electron') as string,
  run: runElectron,
  env: process.env,
  platform: process.platform,
  print: (text) => console.error(text),
};
