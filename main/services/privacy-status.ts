// Runs in the services process (plain Node): the joined party's privacy policy and spent budget, as the contract carries them.
import type { PrivacyStatus } from '../../common/contract/party-api.js';
import type { SitePrivacy } from '../federation/privacy/site-privacy.js';
import { localDpNoiseStd } from '../federation/privacy/noise.js';

export function privacyStatus(privacy: SitePrivacy): PrivacyStatus {
  const { policy } = privacy;
  const dp = policy.local_dp;
  const may = policy.server_may_set;
  return {
    requireSecureAggregation: policy.require_secure_aggregation,
    minPartiesPerRound: policy.min_parties_per_round ?? null,
    localDp: dp
      ? {
          clippingNorm: dp.clipping_norm,
          epsilon: dp.epsilon,
          delta: dp.delta,
          sensitivity: dp.sensitivity,
          noiseStd: localDpNoiseStd(dp.sensitivity, dp.epsilon, dp.delta),
        }
      : null,
    clippingNorm: policy.clipping_norm ?? null,
    maxTotalEpsilon: policy.max_total_epsilon ?? null,
    accountant: policy.accountant,
    serverMaySet: {
      learningRate: may.learning_rate ?? null,
      maxEpochs: may.max_epochs ?? null,
      batchSizes: may.batch_sizes ?? null,
    },
    spent: dp ? privacy.latest : null,
  };
}
