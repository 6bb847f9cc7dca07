// Runs in main (plain Node, in the services process): every contract method implemented over the real services.
import type { MethodHandlers } from '../../common/contract/contract.js';
import { ConfigService } from './config-service.js';
import { DatasetService } from './dataset-service.js';
import { EventBus } from './event-bus.js';
import { RecentConfigs } from './recent-configs.js';

interface HostOptions {
  version: string;
  /** The config to show first: the command line's (console), the last one opened (desktop). */
  startConfig?: string;
  recentConfigs?: readonly string[];
}

export interface ServicesHost {
  handlers: MethodHandlers;
  events: EventBus;
  /** Releases decode threads and open files. */
  close(): Promise<void>;
}

/** The party and federation services join here as their areas enter the contract. */
export function createServicesHost(options: HostOptions): ServicesHost {
  const events = new EventBus();
  const recent = new RecentConfigs(options.recentConfigs);
  const config = new ConfigService(events, recent);
  const dataset = new DatasetService(events);
  const handlers: MethodHandlers = {
    'app.info': async () => ({ version: options.version, startConfig: options.startConfig ?? null, recentConfigs: recent.list() }),
    'config.open': config.open,
    'config.validate': config.validate,
    'config.save': config.save,
    'dataset.scan': dataset.scan,
    'dataset.preview': dataset.preview,
  };
  return { handlers, events, close: dataset.close };
}
