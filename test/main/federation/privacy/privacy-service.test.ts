// Tests (Node, real sockets, a real training thread): the party service under a privacy policy: the policy and epsilon in its status, privacy in its audit.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultOf } from '../../../../common/contract/contract.js';
import { Aggregator } from '../../../../main/federation/server/aggregator.js';
import { hostClient } from '../../../../main/services/host-client.js';
import { createServicesHost } from '../../../../main/services/services-host.js';
import { tempDir } from '../../../fixtures/corpus.js';
import { partyAggregatorConfig } from '../server/harness.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../../../assets/fashion-mnist-sample');

const partyYaml = (server: string) => `data:
  name: ImageFolder
  info:
    train: ${SAMPLE}/train
    test: ${SAMPLE}/test
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
privacy:
  local_dp: { clipping_norm: 1, epsilon: 1, delta: 0.00001 }
  max_total_epsilon: 1
  accountant: basic
  server_may_set: { max_epochs: 2 }
`;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('the party service under a privacy policy', { timeout: 120_000 }, () => {
  it('reports the policy and the epsilon spent against the budget, and the audit rows carry each update’s privacy', async () => {
    const dir = await tempDir('tributary-privacy-service-');
    cleanups.push(() => fsp.rm(dir, { recursive: true, force: true }));
    const aggregator = new Aggregator(
      partyAggregatorConfig(path.join(dir, 'aggregator'), { rounds: 2, min_nodes: 1, batch_size: 100 }),
      dir,
    );
    cleanups.push(() => aggregator.close());
    const config = path.join(dir, 'party.yaml');
    await fsp.writeFile(config, partyYaml((await aggregator.start()).grpc!));
    const host = createServicesHost({ version: '1.0.0' });
    cleanups.push(() => host.close());
    const services = hostClient(host);

    const joined = await services.call('party.join', { file: config });
    expect(joined).toMatchObject({
      ok: true,
      value: {
        privacy: {
          requireSecureAggregation: false,
          localDp: { clippingNorm: 1, epsilon: 1, delta: 1e-5, sensitivity: 2, noiseStd: expect.closeTo(9.6896, 4) },
          maxTotalEpsilon: 1,
          accountant: 'basic',
          serverMaySet: { learningRate: null, maxEpochs: 2, batchSizes: null },
          spent: null,
        },
      },
    });
    const result = await aggregator.run();
    expect(result.records.map((record) => record.status)).toEqual(['completed', 'failed']);

    const status = await services.call('party.status', {});
    const spent = (status.ok ? (status.value as ResultOf<'party.status'>) : null)?.privacy?.spent;
    expect(spent).toMatchObject({ runId: String(aggregator.state.runId), rounds: 1 });
    expect(spent!.epsilon).toBeCloseTo(0.750977, 5);

    const audit = await services.call('party.audit', {});
    const { entries } = (audit.ok ? audit.value : { entries: [] }) as ResultOf<'party.audit'>;
    const sent = entries.filter((e) => e.direction === 'sent' && e.messageType === 'train');
    expect(sent.map((e) => e.outcome)).toEqual(['replied', 'declined']);
    expect(sent[0]!.privacy).toMatchObject({ clippingNorm: 1, noised: true, epsilonBudget: 1 });
    expect(sent[1]!.error).toMatch(/^this site declined "train": privacy budget spent: 0.751 of 1 /);
    await services.call('party.leave', { finish: true });
  });
});
