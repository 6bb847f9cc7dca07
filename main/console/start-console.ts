// Runs in the console's process (plain Node): the browser console put together: supervised services in a child process, the server.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { forkServices } from '../services/fork-child.js';
import { rendererDir } from '../services/package-info.js';
import { ServicesSupervisor } from '../services/supervisor.js';
import { startConsoleServer } from './console-server.js';

interface ConsoleOptions {
  /** Absent: the app opens on New site and the recent configs. */
  config?: string;
  port?: number;
}

export interface RunningConsole {
  url: string;
  services: ServicesSupervisor;
  close(): Promise<void>;
}

/** The services run in a child process, as on the desktop: the server's event loop only passes messages. */
export async function startConsole({ config, port }: ConsoleOptions): Promise<RunningConsole> {
  const renderer = rendererDir();
  if (!existsSync(path.join(renderer, 'index.html'))) {
    throw new Error(`the console serves the built renderer, and ${renderer} has none: run \`npm run build\` first`);
  }
  const startConfig = config === undefined ? undefined : path.resolve(config);
  const services = new ServicesSupervisor({
    spawn: () => forkServices(startConfig === undefined ? {} : { startConfig, recentConfigs: [startConfig] }),
  });
  services.start();
  try {
    const server = await startConsoleServer({ rendererDir: renderer, services, ...(port !== undefined && { port }) });
    return { url: server.url, services, close: () => server.close().finally(() => services.stop()) };
  } catch (error) {
    await services.stop();
    throw error;
  }
}
