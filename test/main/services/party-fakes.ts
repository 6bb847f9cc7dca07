// Test helper (Node): a stand-in training thread and party for the party service, driven by the test, and a joinable config on disk.
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import type { PartyState } from '../../../common/contract/party-api.js';
import { resolveSchedule, type WeeklySchedule } from '../../../common/schedule.js';
import type { OpenedInfo } from '../../../main/engine/train/protocol.js';
import type { TrainProgress } from '../../../main/engine/train/trainer.js';
import type { PartyOptions } from '../../../main/federation/client/party.js';
import type { PartyEvent, ServedRun } from '../../../main/federation/client/party-events.js';
import type { PartyServiceDeps } from '../../../main/services/party-deps.js';
import { PARTY_YAML } from './party-fixture.js';

export const JOINABLE_YAML = `${PARTY_YAML}model:
  builtin: mlp
federation:
  server: 127.0.0.1:9092
  insecure: true
`;

export const OPENED_INFO: OpenedInfo = {
  backend: { name: 'cpu', description: 'cpu: pure JavaScript', warning: 'slow' },
  classNames: ['cat', 'dog', 'emu'],
  samples: { train: 12, test: 6 },
  sampleShape: { height: 8, width: 8, channels: 1 },
  model: { name: 'mlp', parameters: 1234, weights: 4 },
  settings: { learningRate: 0.001, batchSize: 4 },
};

export class FakeRunner extends EventEmitter<{ progress: [TrainProgress]; died: [Error] }> {
  readonly close = vi.fn(async () => undefined);
  readonly getWeights = vi.fn(async () => []);
  readonly setWeights = vi.fn(async () => undefined);
  readonly configure = vi.fn(async () => OPENED_INFO.settings);
  readonly train = vi.fn();
  readonly evaluate = vi.fn();
  readonly stop = vi.fn(async () => null);
}

/** Leaves when told to (or never, with `stuck`); its loop can also end by itself with `crash`. */
export class FakeParty extends EventEmitter<{ event: [PartyEvent] }> {
  state: PartyState = { type: 'disconnected', reason: null };
  fingerprint: string | null = null;
  run: ServedRun | null = null;
  readonly audit: { file: string };
  /** As the real party's: the config's schedule with its time zone settled. */
  readonly schedule: { schedule: WeeklySchedule } | undefined;
  stuck = false;
  readonly join = vi.fn(async () => {
    this.fingerprint = 'abcd-ef01-2345-6789';
    this.say({ type: 'connecting', attempt: 1, lastError: null, refused: false, retryInMs: null });
  });
  readonly pause = vi.fn();
  readonly resume = vi.fn();
  readonly leave = vi.fn(async (_options: { finish: boolean }) => {
    if (this.stuck) return new Promise<void>(() => undefined);
    this.say({ type: 'disconnected', reason: 'left the federation' });
    this.#endLoop();
    return this.#loop;
  });
  #endLoop: () => void = () => undefined;
  #crashLoop: (error: Error) => void = () => undefined;
  readonly #loop = new Promise<void>((resolve, reject) => {
    this.#endLoop = resolve;
    this.#crashLoop = reject;
  });

  constructor(readonly options: PartyOptions) {
    super();
    this.audit = { file: path.resolve(options.baseDir, options.section.audit_log) };
    this.schedule = options.schedule && { schedule: resolveSchedule(options.schedule) };
  }

  left(): Promise<void> {
    return this.#loop;
  }

  /** A party event, as the real party emits it (states are its state too). */
  say(event: PartyEvent): void {
    if (event.type === 'run') this.run = { runId: event.runId, lastRound: event.lastRound, finished: event.finished };
    else if (!['error', 'notice', 'round'].includes(event.type)) this.state = event as PartyState;
    this.emit('event', event);
  }

  crash(error: Error): void {
    this.#crashLoop(error);
  }
}

export interface Fakes {
  deps: Partial<PartyServiceDeps>;
  runners: FakeRunner[];
  parties: FakeParty[];
}

/** `joinError`: every party's join rejects with it (a bad key file, an address that does not parse). */
export function fakes(overrides: { shutdownGraceMs?: number; joinError?: Error } = {}): Fakes {
  const runners: FakeRunner[] = [];
  const parties: FakeParty[] = [];
  const deps: Partial<PartyServiceDeps> = {
    openRunner: async () => {
      const runner = new FakeRunner();
      runners.push(runner);
      return { runner, info: OPENED_INFO };
    },
    createParty: (options) => {
      const party = new FakeParty(options);
      if (overrides.joinError) party.join.mockRejectedValue(overrides.joinError);
      parties.push(party);
      return party;
    },
    shutdownGraceMs: overrides.shutdownGraceMs ?? 200,
  };
  return { deps, runners, parties };
}

export async function writeConfig(dir: string, name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await fsp.writeFile(file, text);
  return file;
}
