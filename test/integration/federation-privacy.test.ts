// Integration tests (real loopback sockets, real training threads): a local federation whose sites' party.yaml sets local DP
// with a budget for two rounds: both are noised and counted up to the budget, and the third is declined by every site.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalFederation } from '../../main/federation/local/local-federation.js';
import { noiseMultiplierForRun, spent } from '../../main/federation/privacy/accountant.js';
import { PrivacyLedger } from '../../main/federation/privacy/ledger.js';
import { localDpEpsilonFor } from '../../main/federation/privacy/noise.js';
import { FAST_SETTINGS, sampleSites } from './fixtures.js';

const BUDGET = 4;
const DELTA = 1e-5;

describe("a local federation under the sites' privacy policy", () => {
  it('noises two rounds calibrated to spend the budget, then every site declines the third', async () => {
    const { root, sites } = await sampleSites(3);
    const epsilon = localDpEpsilonFor(noiseMultiplierForRun(BUDGET, DELTA, 2), DELTA);
    const privacy = { local_dp: { clipping_norm: 1, epsilon, delta: DELTA }, max_total_epsilon: BUDGET };
    const federation = await LocalFederation.start({
      sites,
      settings: { ...FAST_SETTINGS, privacy },
      transport: 'grpc',
      rounds: 3,
      localEpochs: 1,
      out: path.join(root, 'aggregator'),
      roundTimeoutSec: 60,
    });
    try {
      const { records } = await federation.run();
      expect(records.map((record) => record.status)).toEqual(['completed', 'completed', 'failed']);
      const runId = String(federation.aggregator.state.runId);
      for (const local of federation.parties) {
        const releases = await new PrivacyLedger(path.join(local.site.dir, 'federation-audit.jsonl.privacy.json')).releases(runId);
        expect(releases.map((release) => release.round)).toEqual([1, 2]);
        const total = spent(releases, DELTA, 'gaussian').epsilon;
        expect(total).toBeLessThanOrEqual(BUDGET);
        expect(total).toBeGreaterThan(BUDGET * (1 - 1e-6));
        const served = local.events.flatMap((event) => (event.type === 'round' && event.messageType === 'train' ? [event.outcome] : []));
        expect(served).toEqual(['replied', 'replied', 'declined']);
      }
    } finally {
      await federation.close();
      await rm(root, { recursive: true, force: true });
    }
  }, 180_000);
});
