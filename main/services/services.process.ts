// Runs in the services process (Electron's utility process, or a Node child of the console): hosts the services off the UI's main thread.
import { hostClient } from './host-client.js';
import { nodeKeyStorageOver } from './node-key-vault.js';
import { packageVersion } from './package-info.js';
import { startOptionsOfThisProcess } from './port-protocol.js';
import { parentPortOfThisProcess, servePort } from './serve-port.js';
import { createServicesHost } from './services-host.js';

const port = parentPortOfThisProcess();
const { nodeKeys, ...startOptions } = startOptionsOfThisProcess();
const host = createServicesHost({ version: packageVersion(), ...startOptions, nodeKeys: nodeKeyStorageOver(port, nodeKeys) });

servePort(port, hostClient(host), async () => {
  await host.close();
  process.exit(0);
});
