// Tests (Node, a real training thread): the party's message handling serves Flower's SecAgg+ stages, training in
// collect_masked_vectors, beside two in-process parties under an in-process Flower SecAggPlusWorkflow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { FederationSectionSchema } from '../../../../common/federation-config.js';
import { PrivacySectionSchema } from '../../../../common/privacy-config.js';
import { isSecAggMessage, secAggWork } from '../../../../main/federation/client/secagg-work.js';
import type { WorkContext } from '../../../../main/federation/client/work.js';
import { SitePrivacy } from '../../../../main/federation/privacy/site-privacy.js';
import { SecAggPlusClient } from '../../../../main/federation/secagg/client.js';
import type { Stage } from '../../../../main/federation/secagg/protocol.js';
import {
  arrayRecord,
  configRecord,
  recordDict,
  type AnyNdArray,
  type ConfigRecord,
  type ConfigValue,
  type Message,
} from '../../../../main/federation/wire/index.js';
import { openRunner, TRAIN_SAMPLES, type OpenedRunner } from '../client/party-fixture.js';
import { inProcess, runWorkflow, type SimParty } from './flower-workflow.js';

let opened: OpenedRunner;
/** The model's initial weights, kept: arrays handed to the training thread are transferred there (detached here). */
let initial: { shape: number[]; data: Float32Array }[];
beforeAll(async () => {
  opened = await openRunner();
  initial = opened.weights.map((w) => ({ shape: [...w.shape], data: w.data.slice() }));
}, 120_000);
const initialModel = (): AnyNdArray[] => initial.map((w) => ({ dtype: 'float32', shape: [...w.shape], data: w.data.slice() }));
afterAll(() => opened.runner.close());

const NID = 2n ** 63n + 77n;

function workContext(privacy?: SitePrivacy): WorkContext {
  const section = FederationSectionSchema.parse({ server: '127.0.0.1:9092', transport: 'grpc', insecure: true, local_epochs: 1 });
  return {
    runner: opened.runner,
    slots: opened.weights.map(({ name, shape }) => ({ name, shape })),
    defaults: opened.info.settings,
    section,
    stopRequested: () => false,
    onTraining: () => {},
    onEpoch: () => {},
    onEvaluating: () => {},
    notice: () => {},
    ...(privacy && { privacy }),
  };
}

/** The global model as the legacy FitIns carries it: arrays "0", "1", ... in model order. */
let globalModel: AnyNdArray[] = [];

/** This site, answering each stage through the party's own handling of a Flower train message. */
function site(privacy?: SitePrivacy): SimParty & { replies: Message['content'][] } {
  const [work, client, replies] = [workContext(privacy), new SecAggPlusClient(), [] as Message['content'][]];
  const answer = async (stage: Stage, configs: Map<string, ConfigValue>) => {
    const fitins = [
      ['fitins.parameters', arrayRecord(globalModel.map((array, i) => [String(i), array]))],
      ['fitins.config', configRecord({})],
    ] as const;
    const content = recordDict([...(stage === 'collect_masked_vectors' ? fitins : []), ['secaggplus_configs', configRecord(configs)]]);
    const metadata = {
      runId: 1n,
      messageId: 'm',
      srcNodeId: 1n,
      dstNodeId: NID,
      replyToMessageId: '',
      groupId: '1',
      ttl: 600,
      messageType: 'train',
      createdAt: 0,
    };
    const message: Message = { metadata, content };
    expect(isSecAggMessage(message)).toBe(true);
    const done = await secAggWork(message, NID, { round: 1, runId: '1' }, work, client);
    // Only the reply that carries the update is marked; no policy here, so it left neither clipped nor noised.
    expect(done.privacy).toEqual(
      stage === 'collect_masked_vectors'
        ? { clippingNorm: null, clippingNormFrom: null, scaledDown: false, noised: false, masked: true }
        : null,
    );
    replies.push(done.content);
    return (done.content.get('secaggplus_configs') as ConfigRecord).items;
  };
  return { nid: NID, answer, replies };
}

describe("the party's SecAgg+ hook", () => {
  it('trains in collect_masked_vectors, sends the fitres fields with empty parameters, and its update unmasks into the FedAvg, round after round', async () => {
    const me = site();
    const others = [300, 500].map((numExamples, k) => {
      const arrays = initial.map((w) => ({
        shape: [...w.shape],
        data: w.data.map((value, i) => value + ((i % 7) - 3) * 0.01 * (k + 1)),
      }));
      return { ...inProcess(BigInt(11 + k), new SecAggPlusClient(), { arrays, numExamples }, undefined, false), arrays, numExamples };
    });
    const settings = {
      numShares: 3,
      threshold: 2,
      clippingRange: 8,
      quantizationRange: 2 ** 22,
      modRange: 2 ** 32,
      maxWeight: 2000,
      shuffle: (ids: bigint[]) => ids,
    };
    globalModel = initialModel();
    for (const round of [1, 2]) {
      const result = await runWorkflow([me, ...others], settings);
      const collected = me.replies[4 * round - 2]!;
      expect([...collected.keys()]).toEqual([
        'fitres.metrics',
        'fitres.num_examples',
        'fitres.parameters',
        'fitres.status',
        'secaggplus_configs',
      ]);
      expect(collected.get('fitres.parameters')!.items.size).toBe(0);
      expect(collected.get('fitres.num_examples')!.items.get('num_examples')).toBe(BigInt(TRAIN_SAMPLES));
      expect([...me.replies[4 * round - 4]!.keys()]).toEqual(['secaggplus_configs']);

      const trained = await opened.runner.getWeights();
      const tolerance = (3 * 2 * 8) / result.unmasked[0]!.data[0]! + 1e-5;
      let worst = 0;
      result.aggregate.forEach((array, a) =>
        array.forEach((value, i) => {
          const sum = trained[a]!.data[i]! * TRAIN_SAMPLES + others[0]!.arrays[a]!.data[i]! * 300 + others[1]!.arrays[a]!.data[i]! * 500;
          worst = Math.max(worst, Math.abs(value - sum / (TRAIN_SAMPLES + 800)));
        }),
      );
      expect(worst, `round ${round}`).toBeLessThan(tolerance);
      // Flower's aggregate is float64 (dequantised in float64): the next round's global model arrives so.
      globalModel = result.aggregate.map((data, a) => ({ dtype: 'float64', shape: [...trained[a]!.shape], data }));
    }
  }, 120_000);
});

describe("the site's privacy policy in SecAgg+ rounds", () => {
  const others = () =>
    [300, 500].map((numExamples, k) => {
      const arrays = initial.map((w) => ({ shape: [...w.shape], data: w.data.slice() }));
      return inProcess(BigInt(21 + k), new SecAggPlusClient(), { arrays, numExamples }, undefined, false);
    });
  const settings = {
    numShares: 3,
    threshold: 2,
    clippingRange: 8,
    quantizationRange: 2 ** 22,
    modRange: 2 ** 32,
    maxWeight: 2000,
    shuffle: (ids: bigint[]) => ids,
  };
  const privacy = async (minParties: number) => {
    const policy = PrivacySectionSchema.parse({ require_secure_aggregation: true, min_parties_per_round: minParties });
    return new SitePrivacy(policy, path.join(await mkdtemp(path.join(os.tmpdir(), 'secagg-privacy-')), 'ledger.jsonl'));
  };

  it('serves a SecAgg+ round under a policy that requires secure aggregation and three parties', async () => {
    globalModel = initialModel();
    const me = site(await privacy(3));
    const result = await runWorkflow([me, ...others()], settings);
    expect(result.active).toHaveLength(3);
    expect(me.replies[2]!.get('fitres.num_examples')!.items.get('num_examples')).toBe(BigInt(TRAIN_SAMPLES));
  }, 120_000);

  it('declines setup when the sum would be over fewer parties than the policy asks', async () => {
    globalModel = initialModel();
    await expect(runWorkflow([site(await privacy(4)), ...others()], settings)).rejects.toThrow(
      /secure aggregation over 3 parties, fewer than the 4 the site's privacy policy requires/,
    );
  }, 60_000);
});
