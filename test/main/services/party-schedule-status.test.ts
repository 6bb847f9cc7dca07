// Tests (Node, training thread and party stood in for): the party status carries the config's schedule and resource limits.
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { hostClient } from '../../../main/services/host-client.js';
import { createServicesHost, type ServicesHost } from '../../../main/services/services-host.js';
import { tempDir } from '../../fixtures/corpus.js';
import { fakes, JOINABLE_YAML, writeConfig } from './party-fakes.js';

let dir: string;
let host: ServicesHost;
beforeEach(async () => {
  dir = await tempDir('tributary-party-schedule-');
});
afterEach(async () => {
  await host.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

it("hands the party the schedule, and the status says it with the time zone settled, beside the training's thread limits", async () => {
  // PARTY_YAML's data.info has `workers: 2`.
  const schedule = 'schedule:\n  windows:\n    - { days: [sat, sun], from: "08:00", to: "20:00" }\n';
  const config = await writeConfig(dir, 'party.yaml', `${JOINABLE_YAML}training:\n  threads: 1\n${schedule}`);
  const faked = fakes();
  host = createServicesHost({ version: '1.0.0', party: faked.deps });
  const result = await hostClient(host).call('party.join', { file: config });
  if (!result.ok) throw new Error(result.error.message);
  expect(faked.parties[0]!.options.schedule).toEqual({ windows: [{ days: ['sat', 'sun'], from: '08:00', to: '20:00' }] });
  expect(result.value).toMatchObject({
    schedule: {
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      windows: [{ days: ['sat', 'sun'], from: '08:00', to: '20:00' }],
    },
    limits: { threads: 1, decodeWorkers: 2, cores: availableParallelism() },
  });
});
