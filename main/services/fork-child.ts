// Runs in the console's process (plain Node): the services process as a Node child, from source (tests, tsx) or from dist/.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startOptionsEnv } from './port-protocol.js';
import type { StartOptions } from './port-protocol.js';
import type { ServiceChild } from './supervisor.js';

/**
 * `advanced` serialization is the structured clone, so preview PNG bytes cross as bytes. From source the child
 * needs tsx to load .ts files; the flag works for child processes (unlike worker threads on Node 20).
 */
export function forkServices(options: StartOptions): ServiceChild {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./services.process.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const child = fork(entry, [], {
    env: startOptionsEnv(options),
    serialization: 'advanced',
    execArgv: fromSource ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('error', () => undefined); // a failed send or spawn ends in 'exit', which the supervisor handles
  return {
    send: (message) => void child.send(message),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', (code) => listener(code)),
    kill: () => void child.kill(),
  };
}
