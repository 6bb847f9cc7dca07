// Tests (Node, real sockets, a real training thread): the party service joins Tributary's reference aggregator, serves two rounds, and leaves.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, ResultOf } from '../../../common/contract/contract.js';
import { Aggregator } from '../../../main/federation/server/aggregator.js';
import { hostClient } from '../../../main/services/host-client.js';
import { createServicesHost } from '../../../main/services/services-host.js';
import type { ServicesHost } from '../../../main/services/services-host.js';
import { tempDir } from '../../fixtures/corpus.js';
import { partyAggregatorConfig } from '../federation/server/harness.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../../assets/fashion-mnist-sample');
const CLASSES = [
  '0-tshirt-top',
  '1-trouser',
  '2-pullover',
  '3-dress',
  '4-coat',
  '5-sandal',
  '6-shirt',
  '7-sneaker',
  '8-bag',
  '9-ankle-boot',
];

const partyYaml = (server: string) => `data:
  name: ImageFolder
  info:
    train: ${SAMPLE}/train
    test: ${SAMPLE}/test
    class_names: [${CLASSES.join(', ')}]
    image_size: [28, 28]
    color_mode: grayscale
    batch_size: 100
model:
  builtin: mlp
  learning_rate: 0.01
training:
  backend: wasm
federation:
  server: ${server}
  insecure: true
  poll_interval: 0.1
`;

let dir: string;
let aggregator: Aggregator;
let host: ServicesHost;
let config: string;
const heard: { event: EventName; payload: Record<string, unknown> }[] = [];

beforeAll(async () => {
  dir = await tempDir('tributary-party-rounds-');
  const aggregatorConfig = partyAggregatorConfig(path.join(dir, 'aggregator'), { rounds: 2, min_nodes: 1, batch_size: 100 });
  aggregator = new Aggregator(aggregatorConfig, dir);
  const { grpc } = await aggregator.start();
  config = path.join(dir, 'party.yaml');
  await fsp.writeFile(config, partyYaml(grpc!));
  host = createServicesHost({ version: '1.0.0' });
  hostClient(host).subscribe((event, payload) => heard.push({ event, payload: payload as Record<string, unknown> }));
});
afterAll(async () => {
  await host?.close();
  await aggregator?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

const payloads = (event: EventName) => heard.filter((h) => h.event === event).map((h) => h.payload);

describe('the party service and the reference aggregator', () => {
  it('joins, trains and evaluates two rounds with progress and round events, logs what left, and leaves', async () => {
    const services = hostClient(host);
    const joined = await services.call('party.join', { file: config });
    expect(joined).toMatchObject({
      ok: true,
      value: {
        stage: 'joined',
        model: { name: expect.any(String), classes: 10 },
        node: { fingerprint: expect.stringMatching(/^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/) },
      },
    });
    const result = await aggregator.run();
    expect(result.records.map((record) => record.status)).toEqual(['completed', 'completed']);

    const rounds = payloads('party.round').map((round) => `${round.messageType} ${round.round} ${round.outcome}`);
    expect(rounds).toEqual(['train 1 replied', 'evaluate 1 replied', 'train 2 replied', 'evaluate 2 replied']);
    expect(payloads('party.round')[1]!.metrics).toMatchObject({
      eval_loss: expect.any(Number),
      eval_acc: expect.any(Number),
      'num-examples': 200,
    });
    const progress = payloads('party.progress');
    expect(progress.filter((p) => p.kind === 'epoch').map((p) => p.round)).toEqual([1, 2]);
    expect(progress.find((p) => p.kind === 'batch' && p.memory !== null)).toMatchObject({
      round: expect.any(Number),
      batches: 10,
      memory: { rssMb: expect.any(Number) },
    });
    const states = payloads('party.state').map((status) => (status.state as { type: string }).type);
    expect(states).toEqual(expect.arrayContaining(['connecting', 'idle', 'training', 'evaluating']));
    expect(payloads('party.error')).toEqual([]);

    const audit = await services.call('party.audit', {});
    const { entries } = (audit.ok ? audit.value : { entries: [] }) as ResultOf<'party.audit'>;
    expect(entries.filter((e) => e.messageType === 'train').map((e) => e.direction)).toEqual(['received', 'sent', 'received', 'sent']);
    expect(entries.find((e) => e.direction === 'sent' && e.messageType === 'train')!.arrays.length).toBeGreaterThan(0);

    const live = await services.call('party.history', {});
    const left = await services.call('party.leave', { finish: true });
    expect(left).toMatchObject({ ok: true, value: { stage: 'out', state: { type: 'disconnected', reason: 'left the federation' } } });

    // The services restarted (the app or the console): the history is rebuilt from the audit log and the epoch log.
    const restarted = createServicesHost({ version: '1.0.0', startConfig: config });
    try {
      const rebuilt = await hostClient(restarted).call('party.history', {});
      const { runs, run } = (live.ok ? live.value : {}) as ResultOf<'party.history'>;
      expect(runs.map(({ runId, rounds, lastRound }) => ({ runId, rounds, lastRound }))).toEqual([
        { runId: String(aggregator.state.runId), rounds: 2, lastRound: 2 },
      ]);
      const withoutTimes = ({ seconds: _seconds, ...summary }: { seconds: number }) => summary;
      expect(rebuilt).toMatchObject({
        ok: true,
        value: { runs: [expect.objectContaining({ runId: runs[0]!.runId, rounds: 2, lastRound: 2 })], unreadableLines: 0 },
      });
      const rebuiltRun = (rebuilt.ok ? rebuilt.value : {}) as ResultOf<'party.history'>;
      expect(rebuiltRun.run!.rounds.map(withoutTimes)).toEqual(run!.rounds.map(withoutTimes));
      expect(rebuiltRun.run!.epochs).toEqual(run!.epochs);
    } finally {
      await restarted.close();
    }
  }, 90_000);
});
