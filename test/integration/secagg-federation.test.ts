// Integration tests (real loopback sockets, real training threads): Tributary parties under a site policy that requires secure
// aggregation, against the reference aggregator running SecAgg+: the aggregate is the plain FedAvg of what they trained, and a
// party that leaves while it trains (after share_keys) is recovered.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NamedArray } from '../../main/engine/weights.js';
import { readAuditLog } from '../../main/federation/client/audit-log.js';
import { LocalFederation, type LocalParty } from '../../main/federation/local/local-federation.js';
import { SITE_AUDIT_LOG } from '../../main/federation/local/sites.js';
import { FAST_SETTINGS, sampleSites } from './fixtures.js';

/** Every site declines a round the server could read on its own. */
const SETTINGS = { ...FAST_SETTINGS, privacy: { require_secure_aggregation: true } };
/** Flower's default max_weight: the sample's 1000 training images weigh 1 together. */
const MAX_WEIGHT = 1000;

/** Flower's bound: one quantisation step (2 x 8 / 2^22) per site and weight over the summed weight ratios; then float32. */
const bound = (sites: number, examples: number) => (sites * 16) / 2 ** 22 / (examples / MAX_WEIGHT) + 1e-6;

async function federation(transport: 'grpc' | 'rest', root: string, sites: Awaited<ReturnType<typeof sampleSites>>['sites'], minNodes = 3) {
  return LocalFederation.start({
    sites,
    settings: SETTINGS,
    transport,
    rounds: 1,
    localEpochs: 1,
    minNodes,
    // No evaluation: each party's training thread keeps the weights it trained, the update it masked.
    fractionEvaluate: 0,
    out: path.join(root, 'aggregator'),
    roundTimeoutSec: 60,
    secagg: { enabled: true, max_weight: MAX_WEIGHT },
  });
}

/** The FedAvg of the parties' trained weights, in float64, and its largest difference from the aggregate. */
async function fedAvgError(parties: readonly LocalParty[], aggregate: readonly NamedArray[]): Promise<number> {
  const trained = await Promise.all(parties.map((local) => local.runner.getWeights()));
  const total = parties.reduce((sum, local) => sum + local.site.trainSamples, 0);
  let worst = 0;
  aggregate.forEach((array, a) =>
    array.data.forEach((value, i) => {
      const mean = parties.reduce((sum, local, p) => sum + local.site.trainSamples * trained[p]![a]!.data[i]!, 0) / total;
      worst = Math.max(worst, Math.abs(value - mean));
    }),
  );
  return worst;
}

/** What the party's audit log says it sent for train messages: each reply's outcome, and which carried the update masked. */
async function sentTrain(local: LocalParty) {
  const entries = await readAuditLog(path.join(local.site.dir, SITE_AUDIT_LOG));
  return entries.filter((entry) => entry.direction === 'sent' && entry.messageType === 'train');
}

describe('Tributary parties against the reference aggregator with SecAgg+', () => {
  it.each(['grpc', 'rest'] as const)(
    'over %s: three parties whose policy requires secure aggregation take part; the aggregate is their plain FedAvg',
    async (transport) => {
      const { root, sites } = await sampleSites(3);
      const local = await federation(transport, root, sites);
      try {
        const { records, weights } = await local.run();
        const [record] = records;
        expect(record!.status, record!.reason).toBe('completed');
        expect(record!.train.replied).toHaveLength(3);
        expect(record!.train.num_examples).toBe(1000);
        expect(record!.secagg!.stages.map((s) => s.replied)).toEqual([3, 3, 3, 3]);
        // The MLP's masked update (101,770 int64 values) is past the wire layer's usual 64 KiB per config value.
        expect(await fedAvgError(local.parties, weights)).toBeLessThan(bound(3, 1000));
        for (const party of local.parties) {
          const sent = await sentTrain(party);
          expect(sent.map((entry) => entry.outcome)).toEqual(['replied', 'replied', 'replied', 'replied']);
          expect(sent.map((entry) => entry.privacy?.masked ?? false)).toEqual([false, false, true, false]);
          // No weight array left in the clear: fitres.parameters goes empty, the update only in masked_params.
          expect(sent.flatMap((entry) => entry.arrays)).toEqual([]);
          expect(party.events.filter((event) => event.type === 'error')).toEqual([]);
        }
      } finally {
        await local.close();
        await rm(root, { recursive: true, force: true });
      }
    },
    180_000,
  );

  it('recovers a party that leaves while it trains (after share_keys): the aggregate is the FedAvg of the two that stayed', async () => {
    const { root, sites } = await sampleSites(3);
    const local = await federation('grpc', root, sites, 2);
    const [stayer1, stayer2, leaver] = local.parties as [LocalParty, LocalParty, LocalParty];
    let leaving: Promise<void> | undefined;
    leaver.party.on('event', (event) => {
      if (event.type === 'training' && !leaving) leaving = leaver.party.leave({ finish: false });
    });
    try {
      const { records, weights } = await local.run();
      const [record] = records;
      expect(record!.status, record!.reason).toBe('completed');
      expect(record!.secagg!.recovered).toEqual([leaver.nodeId]);
      expect(record!.train.replied.sort()).toEqual([stayer1.nodeId, stayer2.nodeId].sort());
      expect(record!.secagg!.stages.map((s) => [s.stage, s.asked, s.replied])).toEqual([
        ['setup', 3, 3],
        ['share_keys', 3, 3],
        ['collect_masked_vectors', 3, 2],
        ['unmask', 2, 2],
      ]);
      const examples = stayer1.site.trainSamples + stayer2.site.trainSamples;
      expect(await fedAvgError([stayer1, stayer2], weights)).toBeLessThan(bound(2, examples));
      await leaving;
    } finally {
      await local.close();
      await rm(root, { recursive: true, force: true });
    }
  }, 180_000);
});
