// Runs in Electron main: the services in a utility process (sharp, tfjs and site handlers never run on the main thread), supervised.
import path from 'node:path';
import { utilityProcess } from 'electron';
import { packageRoot } from '../services/package-info.js';
import { startOptionsEnv } from '../services/port-protocol.js';
import type { StartOptions } from '../services/port-protocol.js';
import { ServicesSupervisor } from '../services/supervisor.js';
import type { NodeKeyKeeper, ServiceChild } from '../services/supervisor.js';

/** `startOptions` is asked again at each restart, so a restarted process knows the configs opened since; `nodeKeys` answers its node key requests. */
export function startServices(startOptions: () => StartOptions, nodeKeys: NodeKeyKeeper): ServicesSupervisor {
  const supervisor = new ServicesSupervisor({ spawn: () => utilityChild(startOptions()), nodeKeys });
  supervisor.start();
  return supervisor;
}

function utilityChild(options: StartOptions): ServiceChild {
  const entry = path.join(packageRoot(), 'dist', 'main', 'services', 'services.process.js');
  const child = utilityProcess.fork(entry, [], { serviceName: 'Tributary services', stdio: 'inherit', env: startOptionsEnv(options) });
  return {
    send: (message) => child.postMessage(message),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', listener),
    kill: () => void child.kill(),
  };
}
