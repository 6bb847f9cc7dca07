// Runs in the CLI process: `tributary console [--config party.yaml] [--port N]`: the app in a browser, for a site without a desktop.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startConsole } from '../console/start-console.js';
import type { RunningConsole } from '../console/start-console.js';
import { interruptible } from './interrupts.js';
import { UsageError } from './usage-error.js';

export const CONSOLE_USAGE = `  tributary console [--config party.yaml] [--port N]
      the desktop app in a browser: serves it on 127.0.0.1 (a free port unless --port) behind a random
      access token, against the same services; prints the URL to open. Without --config it opens on
      New site (a data folder to a party.yaml) and the recent configs. Ctrl-C stops it`;

interface ConsoleCommandOptions {
  print?: (line: string) => void;
  /** Resolves when the console should stop; by default when `stop` aborts, at Ctrl-C (SIGINT) or SIGTERM. */
  untilStopped?: (running: RunningConsole, stop: AbortSignal) => Promise<void>;
}

export async function consoleCommand(
  args: string[],
  { print = console.log, untilStopped = untilInterrupted }: ConsoleCommandOptions = {},
): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, port: { type: 'string' } } });
  const config = values.config === undefined ? undefined : path.resolve(values.config);
  if (config !== undefined && !existsSync(config)) throw new UsageError(`--config ${values.config}: no such file`);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
    throw new UsageError(`--port takes a port number (0 to 65535), not ${values.port}`);
  const running = await startConsole({ ...(config !== undefined && { config }), ...(port !== undefined && { port }) });
  const { port: bound } = new URL(running.url);
  print(
    [
      config ? `Tributary console for ${config}` : 'Tributary console, no config yet: it opens on New site and the recent configs',
      `  open ${running.url}`,
      'Only this machine can connect, and only with the token in that URL: treat it as a password.',
      `From another machine, forward the port first: ssh -L ${bound}:127.0.0.1:${bound} <this host>, then open the same URL there.`,
      'Ctrl-C stops the console.',
    ].join('\n'),
  );
  await interruptible((stop) => untilStopped(running, stop), { cleanup: () => running.close() });
  return 0;
}

function untilInterrupted(_running: RunningConsole, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
}
