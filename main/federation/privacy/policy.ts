// Runs in the party (plain Node): the site's privacy policy held against what a round asks: accept, or the reason to decline.
import type { PrivacySection, ServerSettingsBounds } from '../../../common/privacy-config.js';
import { requestedSettings, type ConfigValues } from '../client/round-config.js';
import type { Spent } from './accountant.js';

/** What the server asks of this site in one message, as far as the party can tell. */
export interface RoundRequest {
  kind: 'train' | 'evaluate' | 'get_parameters' | 'get_properties';
  /**
   * The update would reach the server only masked (SecAgg+), so the server sees the sum and never this site's update
   * alone. A plain train message (Flower's FedAvg, or the legacy strategies) is never secure.
   */
  secure: boolean;
  config: ConfigValues;
}

/**
 * Null to accept, else why not. Only a train message sends an update; evaluate sends metrics, which no setting here
 * covers. get_parameters sends the site's current weights as they are, so a policy that clips, noises or requires
 * secure aggregation declines it. The budget is checked apart (checkBudget), since it needs the ledger.
 */
export function checkRequest(policy: PrivacySection, request: RoundRequest): string | null {
  if (request.kind === 'get_parameters' && guardsUpdates(policy))
    return '"get_parameters" would send this site\'s weights as trained, without the clipping, noise or secure aggregation its privacy policy requires';
  if (request.kind !== 'train') return null;
  if (policy.require_secure_aggregation && !request.secure)
    return 'the site\'s privacy policy requires secure aggregation, and a plain "train" message would let the server read this site\'s update on its own';
  return checkServerSettings(policy.server_may_set, request.config);
}

function guardsUpdates(policy: PrivacySection): boolean {
  return policy.require_secure_aggregation || policy.local_dp !== undefined || policy.clipping_norm !== undefined;
}

/** Null when every setting the round asks for is within `may`; else why not, naming `whose` bounds they are (the privacy policy's, or task review's). */
export function checkServerSettings(may: ServerSettingsBounds, config: ConfigValues, whose = "the site's privacy policy"): string | null {
  const asked = requestedSettings(config);
  const { learningRate, epochs, batchSize } = asked;
  if (learningRate && may.learning_rate && (learningRate.value < may.learning_rate.min || learningRate.value > may.learning_rate.max))
    return (
      `config "${learningRate.key}" = ${learningRate.value} is outside the learning rates ${whose} allows ` +
      `(${may.learning_rate.min} to ${may.learning_rate.max})`
    );
  if (epochs && may.max_epochs !== undefined && epochs.value > may.max_epochs)
    return `config "${epochs.key}" = ${epochs.value} asks for more local epochs than ${whose} allows (${may.max_epochs})`;
  if (batchSize && may.batch_sizes && !may.batch_sizes.includes(batchSize.value))
    return `config "${batchSize.key}" = ${batchSize.value} is not a batch size ${whose} allows (${may.batch_sizes.join(', ')})`;
  return null;
}

/** Null while the run's epsilon, with the next round's release, stays within max_total_epsilon; else why not. */
export function checkBudget(policy: PrivacySection, now: Spent, withNext: Spent): string | null {
  const budget = policy.max_total_epsilon;
  if (budget === undefined || withNext.epsilon <= budget) return null;
  const at = `epsilon at delta ${policy.local_dp!.delta}`;
  return `privacy budget spent: ${figure(now.epsilon)} of ${budget} (${at}); this round would bring it to ${figure(withNext.epsilon)}`;
}

/**
 * For secure aggregation's setup stage, which names how many parties the sum is over (SecAgg+'s `sample_num`):
 * null when that meets min_parties_per_round. A plain message names no such number: the party cannot know how many
 * others' updates its own is averaged with, which is why the schema ties this setting to require_secure_aggregation.
 */
export function checkParties(policy: PrivacySection, parties: number): string | null {
  const min = policy.min_parties_per_round;
  if (min === undefined || parties >= min) return null;
  return `secure aggregation over ${parties} parties, fewer than the ${min} the site's privacy policy requires`;
}

/** Four significant figures: enough to compare with a budget, short enough to read. */
export function figure(value: number): string {
  return String(Number(value.toPrecision(4)));
}
