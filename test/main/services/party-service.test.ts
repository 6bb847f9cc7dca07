// Tests (Node, training thread and party stood in for): the party methods through the contract's door: join, refusals, events,
// pause, leave, shutdown, node key, audit.
import { generateKeyPairSync } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventName, MethodName } from '../../../common/contract/contract.js';
import { publicKeyFingerprint } from '../../../main/federation/transport/node-identity.js';
import { hostClient } from '../../../main/services/host-client.js';
import { KEY_FILE_NOTE } from '../../../main/services/node-key-storage.js';
import { createServicesHost } from '../../../main/services/services-host.js';
import type { ServicesHost } from '../../../main/services/services-host.js';
import type { ServicesClient } from '../../../main/services/services-client.js';
import { tempDir } from '../../fixtures/corpus.js';
import { NO_KEY } from './node-key-helpers.js';
import { fakes, JOINABLE_YAML, OPENED_INFO, writeConfig } from './party-fakes.js';
import type { Fakes } from './party-fakes.js';

let dir: string;
let config: string;
let faked: Fakes;
let host: ServicesHost;
let services: ServicesClient;
let heard: { event: EventName; payload: Record<string, unknown> }[];

function start(overrides: Parameters<typeof fakes>[0] = {}): void {
  faked = fakes(overrides);
  host = createServicesHost({ version: '1.0.0', party: faked.deps });
  services = hostClient(host);
  heard = [];
  services.subscribe((event, payload) => heard.push({ event, payload: payload as Record<string, unknown> }));
}

beforeEach(async () => {
  dir = await tempDir('tributary-party-service-');
  config = await writeConfig(dir, 'party.yaml', JOINABLE_YAML);
  start();
});
afterEach(async () => {
  await host.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

async function value(method: MethodName, args: unknown = {}): Promise<Record<string, unknown>> {
  const result = await services.call(method, args);
  if (!result.ok) throw new Error(`${method} failed: ${result.error.code}: ${result.error.message}`);
  return result.value as Record<string, unknown>;
}

const payloads = (event: EventName) => heard.filter((h) => h.event === event).map((h) => h.payload);
const stages = () => payloads('party.state').map((status) => status.stage);

describe('party.join', () => {
  it('opens the training thread on the config, joins its federation, and says where the party stands', async () => {
    const status = await value('party.join', { file: config });
    expect(faked.parties[0]!.options).toMatchObject({
      baseDir: dir,
      section: { server: '127.0.0.1:9092', insecure: true, transport: 'grpc' },
      settings: OPENED_INFO.settings,
    });
    expect(faked.parties[0]!.join).toHaveBeenCalledTimes(1);
    expect(status).toEqual({
      stage: 'joined',
      state: { type: 'connecting', attempt: 1, lastError: null, refused: false, retryInMs: null },
      pauseRequested: false,
      leaving: null,
      run: null,
      file: config,
      node: { keyFile: path.join(dir, 'node-key.pem'), fingerprint: 'abcd-ef01-2345-6789' },
      federation: {
        server: '127.0.0.1:9092',
        transport: 'grpc',
        insecure: true,
        rootCa: null,
        auditLog: path.join(dir, 'federation-audit.jsonl'),
      },
      backend: OPENED_INFO.backend,
      model: {
        name: 'mlp',
        parameters: 1234,
        classes: 3,
        sampleShape: { height: 8, width: 8, channels: 1 },
        samples: { train: 12, test: 6 },
      },
      limits: { threads: null, decodeWorkers: 2, cores: availableParallelism() },
    });
    expect(stages()).toEqual(['joining', 'joining', 'joined']);
    expect(await value('party.status')).toEqual(status);
  });

  it('refuses a second join, while joining and once joined, and leaves the first party alone', async () => {
    const first = services.call('party.join', { file: config });
    const during = await services.call('party.join', { file: config });
    expect(during).toMatchObject({
      ok: false,
      error: { code: 'failed', message: expect.stringContaining(`already joining the federation of ${config}`) },
    });
    await first;
    const after = await services.call('party.join', { file: config });
    expect(after).toMatchObject({
      ok: false,
      error: {
        code: 'failed',
        message: expect.stringMatching(/already in the federation of .*: a site takes part in one federation at a time; leave it first/),
      },
    });
    expect(faked.parties).toHaveLength(1);
    expect(await value('party.status')).toMatchObject({ stage: 'joined' });
  });

  it('places what joining needs on its key and line: the model, the federation section, the CA file', async () => {
    const noFederation = await writeConfig(dir, 'no-federation.yaml', JOINABLE_YAML.replace(/federation:[\s\S]*$/, ''));
    expect(await services.call('party.join', { file: noFederation })).toMatchObject({
      ok: false,
      error: { code: 'config-invalid', issues: [{ key: 'federation', problem: expect.stringContaining('missing') }] },
    });
    const noModel = await writeConfig(dir, 'no-model.yaml', JOINABLE_YAML.replace('model:\n  builtin: mlp\n', ''));
    expect(await services.call('party.join', { file: noModel })).toMatchObject({
      ok: false,
      error: { code: 'config-invalid', issues: [{ key: 'model' }] },
    });
    const noCa = await writeConfig(dir, 'no-ca.yaml', JOINABLE_YAML.replace('  insecure: true\n', '  root_ca: missing-ca.pem\n'));
    expect(await services.call('party.join', { file: noCa })).toMatchObject({
      ok: false,
      error: {
        code: 'config-invalid',
        issues: [{ key: 'federation.root_ca', line: 14, problem: expect.stringContaining('cannot read the CA file') }],
      },
    });
    expect(faked.runners).toEqual([]);
    expect(await value('party.status')).toMatchObject({ stage: 'out' });
  });

  it('closes the training thread when the party cannot join, and is out again', async () => {
    start({ joinError: new Error('node-key.pem: not a usable node key') });
    expect(await services.call('party.join', { file: config })).toEqual({
      ok: false,
      error: { code: 'failed', message: 'node-key.pem: not a usable node key' },
    });
    expect(faked.runners[0]!.close).toHaveBeenCalled();
    expect(await value('party.status')).toMatchObject({ stage: 'out' });
  });
});

describe('events', () => {
  const RUN = '904435318632320104';
  const training = (batch: number, round = 3, runId = RUN) => ({
    type: 'training' as const,
    runId,
    round,
    epoch: 1,
    epochs: 1,
    batch,
    batches: 4,
    loss: 0.5,
    acc: 0.75,
    samplesPerSec: 100,
    etaSec: Infinity,
  });
  const epochDone = (round: number, runId = RUN) => ({
    type: 'epoch' as const,
    runId,
    round,
    epoch: 1,
    epochs: 1,
    loss: 0.4,
    acc: 0.8,
    samples: 12,
    seconds: 0.1,
    samplesPerSec: 120,
  });
  const trainRound = (round: number, runId = RUN) => ({
    type: 'round' as const,
    messageType: 'train',
    runId,
    round,
    group: String(round),
    outcome: 'replied' as const,
    metrics: { train_loss: 0.4, 'num-examples': 12 },
    seconds: 0.2,
    error: null,
  });

  it("relays training progress (throttled, memory from the thread, the party's epochs with their run and round), rounds, notices and errors", async () => {
    await value('party.join', { file: config });
    const [party, runner] = [faked.parties[0]!, faked.runners[0]!];
    runner.emit('progress', {
      type: 'batch',
      epoch: 1,
      epochs: 1,
      batch: 1,
      batches: 4,
      loss: 0.5,
      accuracy: 0.75,
      samplesPerSec: 100,
      etaSec: 1,
      memory: { rssMb: 321, tensors: 12 },
    });
    for (const batch of [1, 2, 3, 4]) party.say(training(batch));
    party.say(epochDone(3));
    party.say({ ...trainRound(3), metrics: { train_loss: 0.4, train_acc: 0.8, 'num-examples': 12, nan: NaN } });
    party.say({ type: 'notice', message: 'joined 127.0.0.1:9092 as node 7' });
    party.say({ type: 'error', message: 'a reply could not be pushed' });
    const evaluation = {
      runId: RUN,
      round: 3,
      time: new Date().toISOString(),
      loss: 0.3,
      accuracy: 0.5,
      samples: 2,
      classes: ['a', 'b'],
      confusion: [
        [1, 0],
        [1, 0],
      ],
    };
    party.say({ type: 'evaluation', ...evaluation });
    const progress = payloads('party.progress');
    expect(progress).toEqual([
      {
        kind: 'batch',
        runId: RUN,
        round: 3,
        epoch: 1,
        epochs: 1,
        batch: 1,
        batches: 4,
        loss: 0.5,
        acc: 0.75,
        samplesPerSec: 100,
        etaSec: 0,
        memory: { rssMb: 321, tensors: 12 },
      },
      expect.objectContaining({ kind: 'batch', batch: 4 }),
      { kind: 'epoch', runId: RUN, round: 3, epoch: 1, epochs: 1, loss: 0.4, acc: 0.8, samples: 12, seconds: 0.1, samplesPerSec: 120 },
    ]);
    expect(payloads('party.round')).toEqual([
      {
        messageType: 'train',
        runId: RUN,
        round: 3,
        group: '3',
        outcome: 'replied',
        metrics: { train_loss: 0.4, train_acc: 0.8, 'num-examples': 12 },
        seconds: 0.2,
        error: null,
      },
    ]);
    expect(payloads('party.notice')).toEqual([{ time: expect.any(String), message: 'joined 127.0.0.1:9092 as node 7' }]);
    expect(payloads('party.error')).toEqual([{ time: expect.any(String), message: 'a reply could not be pushed' }]);
    expect(payloads('party.evaluation')).toEqual([evaluation]);
    expect(payloads('party.state').at(-1)).toMatchObject({ state: { type: 'training', runId: RUN, round: 3 } });
    expect(await value('party.history')).toEqual({
      runs: [{ runId: RUN, startedAt: expect.any(String), lastAt: expect.any(String), rounds: 1, lastRound: 3 }],
      run: { runId: RUN, rounds: payloads('party.round'), epochs: [progress[2]], evaluations: [evaluation] },
      unreadableLines: 0,
    });
  });

  it("keeps runs apart: a restarted aggregator's run counts from round 1 again, and each run has its own rounds and epochs", async () => {
    await value('party.join', { file: config });
    const party = faked.parties[0]!;
    for (const round of [1, 2, 3, 4]) {
      party.say(training(4, round, '11'));
      party.say(epochDone(round, '11'));
      party.say(trainRound(round, '11'));
    }
    for (const round of [1, 2]) {
      party.say(training(4, round, '22'));
      party.say(epochDone(round, '22'));
      party.say(trainRound(round, '22'));
    }
    const history = await value('party.history');
    expect(
      (history.runs as { runId: string; rounds: number; lastRound: number }[]).map(({ runId, rounds, lastRound }) => ({
        runId,
        rounds,
        lastRound,
      })),
    ).toEqual([
      { runId: '11', rounds: 4, lastRound: 4 },
      { runId: '22', rounds: 2, lastRound: 2 },
    ]);
    const newest = history.run as { runId: string; rounds: { round: number }[]; epochs: { runId: string; round: number }[] };
    expect(newest.runId).toBe('22');
    expect(newest.rounds.map((r) => r.round)).toEqual([1, 2]);
    expect(newest.epochs.map((e) => [e.runId, e.round])).toEqual([
      ['22', 1],
      ['22', 2],
    ]);
    const first = (await value('party.history', { runId: '11' })).run as { rounds: { round: number }[]; epochs: unknown[] };
    expect(first.rounds.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    expect(first.epochs).toHaveLength(4);
  });

  it('announces a state change, not every training batch', async () => {
    await value('party.join', { file: config });
    const party = faked.parties[0]!;
    heard.length = 0;
    party.say({ type: 'idle', nodeId: '7' });
    for (const batch of [1, 2, 3]) party.say({ ...training(batch, 1), batches: 3 });
    party.say({ type: 'evaluating', round: 1 });
    expect(payloads('party.state').map((status) => (status.state as { type: string }).type)).toEqual(['idle', 'training', 'evaluating']);
  });
});

describe('pause, resume, leave', () => {
  it('pauses and resumes the party; refuses both when no party has joined', async () => {
    expect(await services.call('party.pause', {})).toMatchObject({
      ok: false,
      error: { code: 'failed', message: 'cannot pause: the party has not joined a federation' },
    });
    await value('party.join', { file: config });
    expect(await value('party.pause')).toMatchObject({ pauseRequested: true });
    expect(faked.parties[0]!.pause).toHaveBeenCalled();
    expect(await value('party.resume')).toMatchObject({ pauseRequested: false });
    expect(faked.parties[0]!.resume).toHaveBeenCalled();
  });

  it('leaves (finishing the task in hand), closes the training thread, and can join again', async () => {
    await value('party.join', { file: config });
    const status = await value('party.leave', { finish: true });
    expect(faked.parties[0]!.leave).toHaveBeenCalledWith({ finish: true });
    expect(faked.runners[0]!.close).toHaveBeenCalled();
    expect(status).toMatchObject({
      stage: 'out',
      state: { type: 'disconnected', reason: 'left the federation' },
      leaving: null,
      file: config,
      node: null,
    });
    expect(stages().slice(-2)).toEqual(['leaving', 'out']);
    expect(payloads('party.state').find((s) => s.stage === 'leaving')).toMatchObject({ leaving: { finish: true } });
    expect(await value('party.join', { file: config })).toMatchObject({ stage: 'joined' });
    expect(faked.parties).toHaveLength(2);
  });

  it('a leave with nothing joined is nothing to do', async () => {
    expect(await value('party.leave', { finish: false })).toMatchObject({ stage: 'out' });
  });

  it('survives a training thread that dies: reports it and leaves without finishing', async () => {
    await value('party.join', { file: config });
    faked.runners[0]!.emit('died', new Error('the training thread crashed: out of memory'));
    await expect.poll(() => stages().at(-1)).toBe('out');
    expect(faked.parties[0]!.leave).toHaveBeenCalledWith({ finish: false });
    expect(payloads('party.error')).toEqual([
      { time: expect.any(String), message: expect.stringContaining('out of memory; the party cannot train any more') },
    ]);
  });

  it('survives a party loop that ends on its own: reports it, closes the thread, and takes a new join', async () => {
    await value('party.join', { file: config });
    faked.parties[0]!.crash(new Error('the node session broke'));
    await expect.poll(() => stages().at(-1)).toBe('out');
    expect(faked.runners[0]!.close).toHaveBeenCalled();
    expect(payloads('party.error')).toEqual([{ time: expect.any(String), message: 'the party stopped: the node session broke' }]);
    expect(await value('party.join', { file: config })).toMatchObject({ stage: 'joined' });
  });
});

describe('shutdown', () => {
  it('leaves without finishing the task in hand, then closes the training thread', async () => {
    await value('party.join', { file: config });
    await host.close();
    expect(faked.parties[0]!.leave).toHaveBeenCalledWith({ finish: false });
    expect(faked.runners[0]!.close).toHaveBeenCalled();
  });

  it('stops waiting for a party that cannot say goodbye after the grace period, and refuses new joins', async () => {
    await value('party.join', { file: config });
    faked.parties[0]!.stuck = true;
    const started = Date.now();
    await host.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(faked.runners[0]!.close).toHaveBeenCalled();
    expect(await services.call('party.join', { file: config })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });
});

describe('party.nodeKey', () => {
  it("is null before the first join, the key's fingerprint after, and says why a broken key cannot be used; the console keeps key files", async () => {
    const keyFile = path.join(dir, 'node-key.pem');
    const kept = { keyFile, publicKeyFile: path.join(dir, 'node-key.pub'), storage: 'file', storageNote: KEY_FILE_NOTE };
    expect(await value('party.nodeKey', { file: config })).toEqual({ ...NO_KEY, ...kept });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    await fsp.writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const fingerprint = publicKeyFingerprint(Buffer.from(publicPem));
    expect(await value('party.nodeKey', { file: config })).toEqual({
      ...kept,
      fingerprint,
      problem: null,
      publicKey: publicPem,
      publicKeySsh: expect.stringMatching(/^ecdsa-sha2-nistp384 /),
    });
    await fsp.writeFile(keyFile, 'not a key');
    expect(await value('party.nodeKey', { file: config })).toMatchObject({
      keyFile,
      fingerprint: null,
      problem: expect.stringContaining('not a usable node key'),
    });
    const dataOnly = await writeConfig(dir, 'data-only.yaml', JOINABLE_YAML.replace(/federation:[\s\S]*$/, ''));
    expect(await value('party.nodeKey', { file: dataOnly })).toEqual({
      keyFile: null,
      publicKeyFile: null,
      ...NO_KEY,
      storage: null,
      storageNote: null,
    });
  });
});

describe('party.audit', () => {
  const line = (direction: string, messageType: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      time: '2026-01-01T00:00:00.000Z',
      direction,
      messageType,
      runId: '1',
      group: '2',
      serverRound: null,
      messageId: `m-${direction}`,
      replyTo: null,
      arrays: [],
      values: {},
      bytes: 10,
      error: null,
      ...extra,
    });

  it('carries what the object cache saved on received lines, and nothing where a line has no count', async () => {
    const lines = [
      line('received', 'train', { bytes: 482, cachedBytes: 142_058 }),
      line('received', 'evaluate'), // written before the party kept objects
      line('received', 'train', { cachedBytes: 'lots' }), // hand-edited
      line('sent', 'train'),
    ];
    await fsp.writeFile(path.join(dir, 'federation-audit.jsonl'), `${lines.join('\n')}\n`);
    const { entries } = (await value('party.audit', { file: config })) as { entries: Record<string, unknown>[] };
    expect(entries.map((entry) => [entry.bytes, entry.cachedBytes])).toEqual([
      [482, 142_058],
      [10, undefined],
      [10, undefined],
      [10, undefined],
    ]);
    expect(entries.map((entry) => 'cachedBytes' in entry)).toEqual([true, false, false, false]);
  });

  it("reads a config's audit log, newest last, the round from the group id; a config without a log has no entries", async () => {
    const arrays = [{ record: 'arrays', name: 'dense/kernel', dtype: 'float32', shape: [784, 10], bytes: 31360 }];
    const lines = [
      line('received', 'train', { arrays }),
      line('sent', 'train', { arrays, values: { 'metrics.train_loss': 0.5, 'metrics.bad': null }, serverRound: 2 }),
      '{"torn',
    ];
    await fsp.writeFile(path.join(dir, 'federation-audit.jsonl'), `${lines.join('\n')}\n`);
    const { auditLog, entries, unreadableLines } = (await value('party.audit', { file: config, last: 1 })) as {
      auditLog: string;
      entries: Record<string, unknown>[];
      unreadableLines: number;
    };
    expect(auditLog).toBe(path.join(dir, 'federation-audit.jsonl'));
    expect(unreadableLines).toBe(1); // the torn line is counted, so the page can say some lines are not shown
    expect(entries).toEqual([
      {
        time: '2026-01-01T00:00:00.000Z',
        direction: 'sent',
        messageType: 'train',
        round: 2,
        group: '2',
        messageId: 'm-sent',
        replyTo: null,
        arrays,
        values: { 'metrics.train_loss': 0.5 },
        bytes: 10,
        error: null,
      },
    ]);
    expect(await value('party.audit', {})).toEqual({ auditLog: null, entries: [], unreadableLines: 0 });
    await value('party.join', { file: config });
    expect(((await value('party.audit', {})) as { entries: unknown[] }).entries).toHaveLength(2);
  });

  it('without a config named and no party joined this session, reads the log of the config open in the UI', async () => {
    await fsp.writeFile(path.join(dir, 'federation-audit.jsonl'), `${line('received', 'train')}\n${line('sent', 'train')}\n`);
    await value('config.open', { file: config });
    const { auditLog, entries } = (await value('party.audit', {})) as { auditLog: string; entries: unknown[] };
    expect(auditLog).toBe(path.join(dir, 'federation-audit.jsonl'));
    expect(entries).toHaveLength(2);
  });

  it('before any config is opened, reads the log of the config the services started with', async () => {
    await fsp.writeFile(path.join(dir, 'federation-audit.jsonl'), `${line('received', 'train')}\n`);
    await host.close();
    host = createServicesHost({ version: '1.0.0', startConfig: config, party: fakes().deps });
    services = hostClient(host);
    expect(await value('party.audit', {})).toMatchObject({
      auditLog: path.join(dir, 'federation-audit.jsonl'),
      entries: [expect.objectContaining({ direction: 'received' })],
    });
  });
});
