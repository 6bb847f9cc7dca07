// Test helper (plain Node): a real training thread on the shipped Fashion-MNIST sample, and parties joined to a fake fleet with short timings.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FederationSectionSchema, type FederationSection, type FederationSectionInput } from '../../../../common/federation-config.js';
import type { OpenedInfo } from '../../../../main/engine/train/protocol.js';
import { TrainingRunner } from '../../../../main/engine/train/runner.js';
import type { NamedArray } from '../../../../main/engine/weights.js';
import { Party, type PartyOptions } from '../../../../main/federation/client/party.js';
import type { PartyEvent } from '../../../../main/federation/client/party-events.js';
import type { WorkRunner } from '../../../../main/federation/client/work.js';
import { createTransport } from '../../../../main/federation/transport/create-transport.js';
import type { FleetTransport, TransportOptions } from '../../../../main/federation/transport/fleet-transport.js';
import type { FakeFleet } from './fake-fleet.js';

/** examples/image-folder/party.yaml: 1000 training and 200 test images of 28x28 in 10 classes. */
export const EXAMPLE_CONFIG = path.resolve(import.meta.dirname, '../../../../examples/image-folder/party.yaml');
export const TRAIN_SAMPLES = 1000;
export const TEST_SAMPLES = 200;

export interface OpenedRunner {
  runner: TrainingRunner;
  info: OpenedInfo;
  /** The model's initial weights: the "global model" the fake server sends. */
  weights: NamedArray[];
}

/** An MLP on wasm: an epoch of the sample takes well under a second. */
export async function openRunner(): Promise<OpenedRunner> {
  const runner = new TrainingRunner();
  const info = await runner.open({ configFile: EXAMPLE_CONFIG, model: { builtin: 'mlp', learning_rate: 0.01 }, backend: 'wasm' });
  return { runner, info, weights: await runner.getWeights() };
}

export interface JoinedParty {
  party: Party;
  events: PartyEvent[];
  dir: string;
  section: FederationSection;
}

export interface PartyOverrides extends Partial<FederationSectionInput> {
  /** Below Flower's 10 s minimum, which the schema enforces: the fake server takes any interval. */
  heartbeatIntervalSec?: number;
  dir?: string;
  options?: Partial<PartyOptions>;
}

/** A party with its key and audit log in a fresh folder (or `dir`), heartbeating every second, polling every 50 ms. */
export async function startParty(
  fleet: FakeFleet | { address: string; kind: 'grpc' | 'rest' },
  { runner, info }: { runner: WorkRunner; info: OpenedInfo },
  overrides: PartyOverrides = {},
): Promise<JoinedParty> {
  const { heartbeatIntervalSec = 1, dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-party-')), options = {}, ...input } = overrides;
  const parsed = FederationSectionSchema.parse({
    server: fleet.address,
    transport: fleet.kind,
    insecure: true,
    poll_interval: 0.05,
    ...input,
  });
  const section = { ...parsed, heartbeat_interval: heartbeatIntervalSec };
  // The fake fleet takes a reply as it is pushed, so a leaving party need not wait for it to be read (unless a test asks).
  const party = new Party({ section, baseDir: dir, runner, settings: info.settings, replyReadMs: 0, ...options });
  const events: PartyEvent[] = [];
  party.on('event', (event) => events.push(event));
  await party.join();
  return { party, events, dir, section };
}

export function errorsOf(events: readonly PartyEvent[]): string[] {
  return events.flatMap((event) => (event.type === 'error' ? [event.message] : []));
}

/** A transport that can be made to go silent, as a killed process does: no call ever completes again, nothing says goodbye. */
export function killable(): { open: (options: TransportOptions) => Promise<FleetTransport>; kill: () => void } {
  let dead = false;
  let inner: FleetTransport | undefined;
  return {
    open: async (options) => {
      inner = await createTransport(options);
      const transport = inner;
      return {
        kind: transport.kind,
        call: (...args) => (dead ? new Promise<Uint8Array>(() => {}) : transport.call(...args)),
        close: () => transport.close(),
      };
    },
    kill: () => {
      dead = true;
      inner?.close();
    },
  };
}
