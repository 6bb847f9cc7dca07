// Tests (Node, real sockets, a real training thread): task review through the contract: a joined party's waiting task reaches the
// UI as party.reviewChanged and party.state "reviewing", is approved with party.decideTask, and the run trains; refusals name why.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, ResultOf } from '../../../common/contract/contract.js';
import { Aggregator } from '../../../main/federation/server/aggregator.js';
import { hostClient } from '../../../main/services/host-client.js';
import { createServicesHost, type ServicesHost } from '../../../main/services/services-host.js';
import { waitFor } from '../../integration/fixtures.js';
import { tempDir } from '../../fixtures/corpus.js';
import { partyAggregatorConfig } from '../federation/server/harness.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../../assets/fashion-mnist-sample');

const partyYaml = (server: string) => `data:
  name: ImageFolder
  info: { train: ${SAMPLE}/train, test: ${SAMPLE}/test, image_size: [28, 28], color_mode: grayscale, batch_size: 100 }
model: { builtin: mlp, learning_rate: 0.01 }
training: { backend: wasm }
federation: { server: ${server}, insecure: true, poll_interval: 0.1 }
review: { mode: auto_within_bounds, bounds: { max_parameters: 1000 } }
`;

let dir: string;
let aggregator: Aggregator;
let host: ServicesHost;
const heard: { event: EventName; payload: Record<string, unknown> }[] = [];

beforeAll(async () => {
  dir = await tempDir('tributary-review-service-');
  aggregator = new Aggregator(
    partyAggregatorConfig(path.join(dir, 'aggregator'), { rounds: 1, min_nodes: 1, linger: 0, batch_size: 100 }),
    dir,
  );
  const { grpc } = await aggregator.start();
  await fsp.writeFile(path.join(dir, 'party.yaml'), partyYaml(grpc!));
  host = createServicesHost({ version: '1.0.0' });
  hostClient(host).subscribe((event, payload) => heard.push({ event, payload: payload as Record<string, unknown> }));
});
afterAll(async () => {
  await host?.close();
  await aggregator?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

const payloads = (event: EventName) => heard.filter((h) => h.event === event).map((h) => h.payload);

describe('task review through the contract', () => {
  it('refuses a decision while no party is joined, and says there is no review to show', async () => {
    const services = hostClient(host);
    expect(await services.call('party.review', {})).toEqual({
      ok: true,
      value: { mode: null, bounds: null, pending: null, decisions: [], problem: null },
    });
    expect(await services.call('party.decideTask', { runId: '1', approve: true })).toMatchObject({
      ok: false,
      error: { message: 'no party is joined: a run is approved or declined by the party that serves it' },
    });
    expect(await services.call('party.decideTask', { runId: 'x', approve: true })).toMatchObject({
      ok: false,
      error: { code: 'bad-request' },
    });
  });

  it('a task outside the bounds waits, shown to the UI; approved through the contract, the run trains', async () => {
    const services = hostClient(host);
    expect(await services.call('party.join', { file: path.join(dir, 'party.yaml') })).toMatchObject({ ok: true });
    const run = aggregator.run();
    await waitFor(() => payloads('party.reviewChanged').some((status) => status.pending !== null), 30_000, 'the waiting task');
    const runId = String(aggregator.state.runId);
    const waiting = (await services.call('party.review', {})) as { ok: true; value: ResultOf<'party.review'> };
    expect(waiting.value).toMatchObject({
      mode: 'auto_within_bounds',
      bounds: { max_parameters: 1000 },
      pending: {
        task: { runId, messageType: 'train', model: { parameters: 101_770 }, localEpochs: 1, learningRate: 0.01, batchSize: 100 },
        outside: "the model has 101770 parameters, more than this site's review bounds allow (1000)",
      },
      decisions: [],
    });
    expect(payloads('party.state').map((status) => (status.state as { type: string }).type)).toContain('reviewing');

    const approved = await services.call('party.decideTask', { runId, approve: true });
    expect(approved).toMatchObject({ ok: true, value: { decisions: [{ runId, decision: 'approved', by: 'operator' }] } });
    expect((await run).records.map((record) => record.status)).toEqual(['completed']);
    expect(payloads('party.round').map((round) => `${round.messageType} ${round.outcome}`)).toEqual(['train replied', 'evaluate replied']);
    const audit = (await services.call('party.audit', {})) as { ok: true; value: ResultOf<'party.audit'> };
    expect(audit.value.entries.flatMap((entry) => (entry.review ? [`${entry.review.state} ${entry.review.by}`] : []))).toEqual([
      'waiting null',
      'approved operator',
    ]);
    const history = (await services.call('party.history', {})) as { ok: true; value: ResultOf<'party.history'> };
    expect(history.value.run!.rounds.map((round) => [round.messageType, round.round, round.outcome])).toEqual([
      ['train', 1, 'replied'],
      ['evaluate', 1, 'replied'],
    ]);
    await services.call('party.leave', { finish: true });
  }, 120_000);
});
