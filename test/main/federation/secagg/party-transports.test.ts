// Tests (Node, real sockets, a real training thread): a joined party serves Flower's SecAgg+ stages over the REST
// transport and over TLS (gRPC and REST, a CA made with openssl), beside two in-process parties under the in-process
// SecAggPlusWorkflow; the unmasked sum is the FedAvg of the three updates, and the audit log says the update left masked.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingRunner } from '../../../../main/engine/train/runner.js';
import { useQuietCpuBackend } from '../../../../main/engine/backend.js';
import { SecAggPlusClient } from '../../../../main/federation/secagg/client.js';
import type { Stage } from '../../../../main/federation/secagg/protocol.js';
import { startGrpcServer } from '../../../../main/federation/transport/grpc-server.js';
import { startRestServer } from '../../../../main/federation/transport/rest-server.js';
import {
  arrayRecord,
  configRecord,
  recordDict,
  type AnyNdArray,
  type ConfigRecord,
  type ConfigValue,
} from '../../../../main/federation/wire/index.js';
import { FakeFleet, type ServeFleet } from '../client/fake-fleet.js';
import { instruction } from '../client/instructions.js';
import { EXAMPLE_CONFIG, startParty, TRAIN_SAMPLES, type JoinedParty } from '../client/party-fixture.js';
import { makeTestCertificates, type TestCertificates } from '../transport/fixtures.js';
import { inProcess, runWorkflow, type SimParty } from './flower-workflow.js';

/**
 * 784 -> 8 -> 10: its largest masked array (6,272 int64 values) fits in one setting as the fake fleet, which decodes
 * replies with the party's own limits, reads it (64 KiB a setting); Flower's SuperLink has no such limit.
 */
async function writeNarrowMlp(file: string): Promise<void> {
  await useQuietCpuBackend();
  const model = tf.sequential({
    name: 'narrow_mlp',
    layers: [
      tf.layers.flatten({ name: 'flatten', inputShape: [28, 28, 1] }),
      tf.layers.dense({ name: 'dense', units: 8, activation: 'relu' }),
      tf.layers.dense({ name: 'output', units: 10, activation: 'softmax' }),
    ],
  });
  const modelTopology = model.toJSON(null, false);
  model.dispose();
  await writeFile(file, JSON.stringify({ format: 'layers-model', generatedBy: 'party-transports.test.ts', modelTopology }));
}

let dir: string;
let certs: TestCertificates;
let runner: TrainingRunner;
let info: Awaited<ReturnType<TrainingRunner['open']>>;
/** The model's initial weights, kept: arrays handed to the training thread are transferred there. */
let initial: { shape: number[]; data: Float32Array }[];
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-secagg-transports-'));
  certs = makeTestCertificates(dir);
  const modelFile = path.join(dir, 'narrow-mlp.json');
  await writeNarrowMlp(modelFile);
  runner = new TrainingRunner();
  info = await runner.open({ configFile: EXAMPLE_CONFIG, model: { path: modelFile, learning_rate: 0.01 }, backend: 'wasm' });
  initial = (await runner.getWeights()).map((w) => ({ shape: [...w.shape], data: w.data.slice() }));
}, 120_000);
afterAll(async () => {
  await runner?.close();
  await rm(dir, { recursive: true, force: true });
});

const SETTINGS = {
  numShares: 3,
  threshold: 2,
  clippingRange: 8,
  quantizationRange: 2 ** 22,
  modRange: 2 ** 32,
  maxWeight: 2000,
  shuffle: (ids: bigint[]) => ids,
};

/** The real server transport of that kind, with the test CA's server certificate. */
const overTls =
  (kind: 'grpc' | 'rest'): ServeFleet =>
  (handler, options) =>
    (kind === 'grpc' ? startGrpcServer : startRestServer)(handler, {
      ...options,
      insecure: false,
      certFile: certs.certFile,
      keyFile: certs.keyFile,
    });

/** The party, answering each stage as Flower's SuperLink delivers it: a train message pulled over the transport. */
function joinedSite(fleet: FakeFleet, nodeId: bigint, global: () => AnyNdArray[]): SimParty {
  const answer = async (stage: Stage, configs: Map<string, ConfigValue>) => {
    const fitins = [
      ['fitins.parameters', arrayRecord(global().map((array, i) => [String(i), array]))],
      ['fitins.config', configRecord({})],
    ] as const;
    const content = recordDict([...(stage === 'collect_masked_vectors' ? fitins : []), ['secaggplus_configs', configRecord(configs)]]);
    const reply = await fleet.send(instruction(nodeId, content, { type: 'train', group: '1' }), 120_000);
    const configsBack = reply.message.content?.get('secaggplus_configs') as ConfigRecord | undefined;
    if (!configsBack)
      throw new Error(`${stage}: the reply has no secaggplus_configs (${reply.message.error?.reason ?? 'no error either'})`);
    return configsBack.items;
  };
  return { nid: nodeId, answer };
}

interface Case {
  name: string;
  kind: 'grpc' | 'rest';
  tls: boolean;
}

describe.each<Case>([
  { name: 'REST, plain text', kind: 'rest', tls: false },
  { name: 'REST over TLS', kind: 'rest', tls: true },
  { name: 'gRPC over TLS', kind: 'grpc', tls: true },
])("the party's SecAgg+ over $name", ({ kind, tls }) => {
  let fleet: FakeFleet;
  let joined: JoinedParty;
  beforeAll(async () => {
    fleet = await FakeFleet.start(kind, 0, tls ? overTls(kind) : undefined);
    const address = tls && kind === 'rest' ? fleet.address.replace('http://', 'https://') : fleet.address;
    joined = await startParty({ address, kind }, { runner, info }, tls ? { insecure: false, root_ca: certs.caFile } : {});
  }, 60_000);
  afterAll(async () => {
    await joined?.party.leave({ finish: false });
    await fleet?.close();
  });

  it('serves all four stages, and its masked update unmasks into the FedAvg of the three', async () => {
    const nodeId = await fleet.activeNode();
    const global = initial.map((w): AnyNdArray => ({ dtype: 'float32', shape: [...w.shape], data: w.data.slice() }));
    const others = [300, 500].map((numExamples, k) => {
      const arrays = initial.map((w) => ({ shape: [...w.shape], data: w.data.map((value, i) => value + ((i % 7) - 3) * 0.01 * (k + 1)) }));
      return { ...inProcess(BigInt(11 + k), new SecAggPlusClient(), { arrays, numExamples }), arrays, numExamples };
    });
    const result = await runWorkflow([joinedSite(fleet, nodeId, () => global), ...others], SETTINGS);
    expect(result.active).toHaveLength(3);

    const trained = await runner.getWeights();
    expect(trained.some((w, a) => w.data.some((value, i) => value !== initial[a]!.data[i]))).toBe(true);
    const tolerance = (3 * 2 * SETTINGS.clippingRange) / result.unmasked[0]!.data[0]! + 1e-5;
    let worst = 0;
    result.aggregate.forEach((array, a) =>
      array.forEach((value, i) => {
        const sum = trained[a]!.data[i]! * TRAIN_SAMPLES + others[0]!.arrays[a]!.data[i]! * 300 + others[1]!.arrays[a]!.data[i]! * 500;
        worst = Math.max(worst, Math.abs(value - sum / (TRAIN_SAMPLES + 800)));
      }),
    );
    expect(worst).toBeLessThan(tolerance);
    expect(fleet.replies.refused).toEqual([]);

    const sentTrain = async () =>
      (await readFile(path.join(joined.dir, 'federation-audit.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((line) => line.direction === 'sent' && line.messageType === 'train');
    // The last reply's audit line is appended once its send completes, which can be just after the server has the reply.
    await expect.poll(async () => (await sentTrain()).length, { timeout: 10_000 }).toBe(4);
    const sent = await sentTrain();
    expect(sent.filter((line) => line.privacy?.masked === true)).toHaveLength(1);
  }, 180_000);
});
