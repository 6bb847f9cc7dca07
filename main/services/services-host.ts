// Runs in main (plain Node, in the services process): every contract method implemented over the real services.
import type { MethodHandlers } from '../../common/contract/contract.js';
import { ConfigService } from './config-service.js';
import { DatasetService } from './dataset-service.js';
import { EventBus } from './event-bus.js';
import { InvitationService } from './invitation-service.js';
import { NodeKeyService } from './node-key-service.js';
import { KEY_FILES } from './node-key-storage.js';
import type { NodeKeyStorage } from './node-key-storage.js';
import type { PartyServiceDeps } from './party-deps.js';
import { PartyService } from './party-service.js';
import { RecentConfigs } from './recent-configs.js';
import { ReviewService } from './review-service.js';
import { SiteService } from './site-service.js';

interface HostOptions {
  version: string;
  /** The config to show first: the command line's (console), the last one opened (desktop). */
  startConfig?: string;
  recentConfigs?: readonly string[];
  /** Where node keys are kept; key files by default. */
  nodeKeys?: NodeKeyStorage;
  /** Stand-ins for the training thread and the party, for tests. */
  party?: Partial<PartyServiceDeps>;
}

export interface ServicesHost {
  handlers: MethodHandlers;
  events: EventBus;
  /** Leaves the federation (without finishing the task in hand), then releases training and decode threads and open files. */
  close(): Promise<void>;
}

export function createServicesHost(options: HostOptions): ServicesHost {
  const events = new EventBus();
  const recent = new RecentConfigs(options.recentConfigs);
  const config = new ConfigService(events, recent);
  const dataset = new DatasetService(events);
  const nodeKeys = options.nodeKeys ?? KEY_FILES;
  const opened = () => config.opened ?? options.startConfig ?? null;
  // The review service asks the party service for the joined party's review, and is told of each new one.
  const review = new ReviewService(events, () => party.review);
  const party = new PartyService(events, { nodeKeys, ...options.party }, opened, (joined) => review.watch(joined));
  const site = new SiteService(events);
  const nodeKey = new NodeKeyService(events, nodeKeys, () => party.federationFile);
  const invitation = new InvitationService(
    events,
    nodeKeys,
    () => party.federationFile,
    (task) => nodeKey.exclusive(task),
  );
  const handlers: MethodHandlers = {
    'app.info': async () => ({ version: options.version, startConfig: options.startConfig ?? null, recentConfigs: recent.list() }),
    'config.open': config.open,
    'config.validate': config.validate,
    'config.save': config.save,
    'dataset.scan': dataset.scan,
    'dataset.preview': dataset.preview,
    'party.join': party.join,
    'party.pause': party.pause,
    'party.resume': party.resume,
    'party.leave': party.leave,
    'party.status': party.status,
    'party.history': party.history,
    'party.nodeKey': nodeKey.nodeKey,
    'party.createNodeKey': nodeKey.create,
    'party.savePublicKey': nodeKey.savePublicKey,
    'party.resetNodeKey': nodeKey.reset,
    'party.audit': party.audit,
    'party.exportEvaluation': party.exportEvaluation,
    'party.openInvitation': invitation.open,
    'party.applyInvitation': invitation.apply,
    'party.review': review.status,
    'party.decideTask': review.decide,
    'site.recognise': site.recognise,
    'site.scan': site.scan,
    'site.create': site.create,
  };
  return { handlers, events, close: () => party.close().finally(dataset.close) };
}
