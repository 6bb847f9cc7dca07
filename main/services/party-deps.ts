// Runs in the services process (plain Node): what the party service needs of a training thread and a party, and the real ones it uses.
import type { PartyState } from '../../common/contract/party-api.js';
import type { OpenedInfo } from '../engine/train/protocol.js';
import { TrainingRunner } from '../engine/train/runner.js';
import type { TrainProgress } from '../engine/train/trainer.js';
import type { SitePrivacy } from '../federation/privacy/site-privacy.js';
import type { TaskReview } from '../federation/client/task-review.js';
import type { ScheduleGate } from '../federation/client/schedule-gate.js';
import { Party } from '../federation/client/party.js';
import type { PartyOptions } from '../federation/client/party.js';
import type { PartyEvent, ServedRun } from '../federation/client/party-events.js';
import type { WorkRunner } from '../federation/client/work.js';
import { KEY_FILES } from './node-key-storage.js';
import type { NodeKeyStorage } from './node-key-storage.js';

/** The training thread as the service uses it (TrainingRunner has it all). */
export interface ServiceRunner extends WorkRunner {
  close(): Promise<void>;
  on(event: 'progress', listener: (event: TrainProgress) => void): unknown;
  on(event: 'died', listener: (error: Error) => void): unknown;
}

/** The party as the service uses it (Party has it all). */
export interface ServiceParty {
  readonly state: PartyState;
  readonly fingerprint: string | null;
  readonly run: ServedRun | null;
  readonly audit: { readonly file: string };
  /** The privacy policy it enforces and its spent budget (a stand-in party in a test may have none). */
  readonly privacy?: SitePrivacy;
  /** Task review, when its config asks for it. */
  readonly review?: TaskReview | undefined;
  /** Its participation schedule; absent: any time. */
  readonly schedule?: Pick<ScheduleGate, 'schedule'> | undefined;
  on(event: 'event', listener: (event: PartyEvent) => void): unknown;
  join(): Promise<void>;
  pause(): void;
  resume(): void;
  leave(options: { finish: boolean }): Promise<void>;
  left(): Promise<void>;
}

export interface PartyServiceDeps {
  openRunner: (configFile: string) => Promise<{ runner: ServiceRunner; info: OpenedInfo }>;
  createParty: (options: PartyOptions) => ServiceParty;
  /** When the services stop: how long the party may take to abort its task and say goodbye before its thread is closed anyway. */
  shutdownGraceMs: number;
  /** Where node keys are kept: sealed by the desktop app, or key files (the console, and the desktop app where it cannot seal). */
  nodeKeys: NodeKeyStorage;
}

export const DEFAULT_DEPS: PartyServiceDeps = {
  openRunner: async (configFile) => {
    const runner = new TrainingRunner();
    try {
      return { runner, info: await runner.open({ configFile }) };
    } catch (error) {
      await runner.close();
      throw error;
    }
  },
  createParty: (options) => new Party(options),
  shutdownGraceMs: 4000,
  nodeKeys: KEY_FILES,
};
