// Tests (Node, real sockets, real training threads): a party under a privacy policy, with the reference aggregator and a fake fleet.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivacySectionSchema, type PrivacySectionInput } from '../../../../common/privacy-config.js';
import { readAuditLog, type AuditEntry } from '../../../../main/federation/client/audit-log.js';
import { seededRandom } from '../../../../main/federation/privacy/noise.js';
import { updateNorm } from '../../../../main/federation/privacy/release.js';
import { Aggregator } from '../../../../main/federation/server/aggregator.js';
import type { NamedArray } from '../../../../main/engine/weights.js';
import { FakeFleet, waitFor } from '../client/fake-fleet.js';
import { fedAvgContent, instruction } from '../client/instructions.js';
import { openRunner, startParty, type OpenedRunner } from '../client/party-fixture.js';
import { partyAggregatorConfig } from '../server/harness.js';

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

const privacy = (input: PrivacySectionInput) => PrivacySectionSchema.parse(input);
const sentTrains = (entries: AuditEntry[]) => entries.filter((e) => e.direction === 'sent' && e.messageType === 'train');

async function withAggregator(
  policy: PrivacySectionInput,
  use: (result: Awaited<ReturnType<Aggregator['run']>>, audit: AuditEntry[]) => void,
) {
  const out = await mkdtemp(path.join(os.tmpdir(), 'tributary-privacy-agg-'));
  const config = partyAggregatorConfig(out, { rounds: 2, min_nodes: 1 });
  const aggregator = new Aggregator(config, out);
  const address = (await aggregator.start()).grpc!;
  const options = { privacy: privacy(policy), privacyRandom: seededRandom('aggregator') };
  const joined = await startParty({ address, kind: 'grpc' }, opened, { heartbeatIntervalSec: 10, options });
  try {
    const result = await aggregator.run();
    await joined.party.leave({ finish: true });
    use(result, await readAuditLog(joined.party.audit.file));
  } finally {
    await joined.party.leave({ finish: false });
    await aggregator.close();
  }
}

describe('a party under a privacy policy, with the reference aggregator', { timeout: 120_000 }, () => {
  it('sends round 1 clipped and noised, declines round 2 once the budget would be passed, and its audit lines say so', async () => {
    const policy = { local_dp: { clipping_norm: 1, epsilon: 1, delta: 1e-5 }, max_total_epsilon: 1, accountant: 'basic' } as const;
    await withAggregator(policy, (result, audit) => {
      expect(result.records.map((record) => [record.round, record.status])).toEqual([
        [1, 'completed'],
        [2, 'failed'],
      ]);
      const [first, second] = sentTrains(audit);
      expect(first!.outcome).toBe('replied');
      expect(first!.privacy).toMatchObject({
        clippingNorm: 1,
        clippingNormFrom: 'site',
        noised: true,
        epsilon: 1,
        delta: 1e-5,
        sensitivity: 2,
      });
      expect(first!.privacy!.epsilonSpent).toBeCloseTo(0.750977, 5);
      expect(first!.privacy!.epsilonBudget).toBe(1);
      expect(second!.outcome).toBe('declined');
      expect(second!.error).toBe(
        'this site declined "train": privacy budget spent: 0.751 of 1 (epsilon at delta 0.00001); this round would bring it to 1.502',
      );
      expect(second!.privacy).toBeUndefined();
      // Evaluation sends metrics, not an update: the policy lets it through.
      expect(audit.filter((e) => e.direction === 'sent' && e.messageType === 'evaluate').map((e) => e.outcome)).toEqual(['replied']);
    });
  });

  it('declines every plain train message when secure aggregation is required', async () => {
    await withAggregator({ require_secure_aggregation: true }, (result, audit) => {
      expect(result.records.map((record) => record.status)).toEqual(['failed', 'failed']);
      const sent = sentTrains(audit);
      expect(sent.map((e) => e.outcome)).toEqual(['declined', 'declined']);
      expect(sent[0]!.error).toMatch(/^this site declined "train": the site's privacy policy requires secure aggregation/);
    });
  });
});

describe('a party under a privacy policy, with a fake fleet', { timeout: 120_000 }, () => {
  const weightsOf = (reply: { message: { content?: Map<string, { kind: string; items: Map<string, unknown> }> } }): NamedArray[] =>
    [...(reply.message.content!.get('arrays')!.items as Map<string, { shape: number[]; data: Float32Array }>)].map(([name, a]) => ({
      name,
      shape: a.shape,
      dtype: 'float32',
      data: a.data,
    }));

  it("clips to the server's clipping_norm as fixedclipping_mod does, and declines a learning rate out of the policy's bounds", async () => {
    const fleet = await FakeFleet.start('grpc');
    const options = { privacy: privacy({ server_may_set: { learning_rate: { min: 0.001, max: 0.05 } } }) };
    const joined = await startParty(fleet, opened, { options });
    try {
      const nodeId = await fleet.activeNode();
      const clipped = await fleet.send(instruction(nodeId, fedAvgContent(opened.weights, { lr: 0.01, clipping_norm: 0.25 })));
      expect(updateNorm(opened.weights, weightsOf(clipped))).toBeCloseTo(0.25, 4);
      const declined = await fleet.send(instruction(nodeId, fedAvgContent(opened.weights, { lr: 0.2 })));
      expect(declined.message.error?.reason).toBe(
        'this site declined "train": config "lr" = 0.2 is outside the learning rates the site\'s privacy policy allows (0.001 to 0.05)',
      );
      await joined.party.leave({ finish: true });
      const sent = sentTrains(await readAuditLog(joined.party.audit.file));
      expect(sent[0]!.privacy).toEqual({ clippingNorm: 0.25, clippingNormFrom: 'server', scaledDown: true, noised: false });
      expect(sent[1]).toMatchObject({ outcome: 'declined', error: declined.message.error?.reason });
    } finally {
      await joined.party.leave({ finish: false });
      await fleet.close();
    }
  });

  it('keeps the spent budget across a restart of the party', async () => {
    const fleet = await FakeFleet.start('grpc');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-privacy-restart-'));
    const policy = privacy({ local_dp: { clipping_norm: 1, epsilon: 1, delta: 1e-5 }, max_total_epsilon: 1, accountant: 'basic' });
    try {
      const first = await startParty(fleet, opened, { dir, options: { privacy: policy } });
      const firstNode = await fleet.activeNode();
      const sent = await fleet.send(instruction(firstNode, fedAvgContent(opened.weights, { lr: 0.01 })));
      expect(sent.message.error).toBeUndefined();
      // Noise of sd 2 * 4.8448 on every value: the update that left is as long as that noise over all of them (clipped to 1 before).
      const values = opened.weights.reduce((n, w) => n + w.data.length, 0);
      expect(updateNorm(opened.weights, weightsOf(sent)) / (2 * 4.844805262605389 * Math.sqrt(values))).toBeCloseTo(1, 2);
      await first.party.leave({ finish: false });

      const second = await startParty(fleet, opened, { dir, options: { privacy: policy } });
      try {
        const online = () => fleet.registeredNodes.find((node) => node.online && node.nodeId !== firstNode);
        await waitFor(() => online() !== undefined, 15_000, 'the restarted party to activate');
        const declined = await fleet.send(instruction(online()!.nodeId, fedAvgContent(opened.weights, { lr: 0.01 }), { group: '2' }));
        expect(declined.message.error?.reason).toMatch(/^this site declined "train": privacy budget spent: 0.751 of 1 /);
      } finally {
        await second.party.leave({ finish: false });
      }
    } finally {
      await fleet.close();
    }
  });
});
