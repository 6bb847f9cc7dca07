// Runs in the party (plain Node): the site's privacy in one place: declines what the policy forbids, clips and noises what leaves, counts the budget.
import type { PrivacySection } from '../../../common/privacy-config.js';
import type { NamedArray } from '../../engine/weights.js';
import type { ConfigValues } from '../client/round-config.js';
import { roundEpsilon, spent, type DpRelease } from './accountant.js';
import { LedgerUnreadable, PrivacyLedger } from './ledger.js';
import { cryptoRandom, localDpNoiseStd, type RandomSource } from './noise.js';
import { checkBudget, checkRequest, type RoundRequest } from './policy.js';
import { releaseUpdate } from './release.js';

/** Flower's key for the norm DifferentialPrivacyClientSideFixedClipping sends (flwr.common.differential_privacy_constants). */
export const SERVER_CLIPPING_KEY = 'clipping_norm';

/** What the audit line of a sent update says about its privacy: clipped, noised, with what, and the budget after it. */
export interface PrivacyAudit {
  /** The L2 norm the update was held to (the site's, or the server's when smaller), null when it was not clipped. */
  clippingNorm: number | null;
  clippingNormFrom: 'site' | 'server' | null;
  /** The update was longer than the norm and was scaled down to it. */
  scaledDown: boolean;
  /** Local-DP noise was added; the fields below are set only then. */
  noised: boolean;
  /** The update left masked by SecAgg+ (set only then): the server can unmask only the sum of the round's updates. */
  masked?: true;
  epsilon?: number;
  delta?: number;
  sensitivity?: number;
  noiseStd?: number;
  /** This release's exact epsilon at `delta`. */
  roundEpsilon?: number;
  /** The run's epsilon after this release, by `accountant`, against `epsilonBudget` (null: no budget set). */
  epsilonSpent?: number;
  deltaSpent?: number;
  epsilonBudget?: number | null;
  accountant?: PrivacySection['accountant'];
}

export interface ReleaseRequest {
  runId: string;
  round: number | null;
  /** The weights the server sent (public to it), and those trained from them. */
  received: readonly NamedArray[];
  trained: readonly NamedArray[];
  config: ConfigValues;
}

/** A run's local-DP spend as last read or written: what a status shows without reading the ledger. */
export interface RunSpent {
  runId: string;
  epsilon: number;
  delta: number;
  rounds: number;
}

export class SitePrivacy {
  readonly ledger: PrivacyLedger;
  #latest: RunSpent | null = null;

  /** `ledgerFile`: beside the audit log. `random`: the noise's source, the OS CSPRNG unless a test needs repeatable noise. */
  constructor(
    readonly policy: PrivacySection,
    ledgerFile: string,
    private readonly random: RandomSource = cryptoRandom,
  ) {
    this.ledger = new PrivacyLedger(ledgerFile);
  }

  /** Null to serve the message, else why this site declines it (the policy, or a budget the next update would pass). */
  async check(request: RoundRequest, runId: string): Promise<string | null> {
    const refused = checkRequest(this.policy, request);
    if (request.kind === 'train') this.#clipping(request.config); // a bad clipping_norm is refused before training, not after
    if (refused !== null || request.kind !== 'train' || !this.policy.local_dp) return refused;
    let releases: DpRelease[];
    try {
      releases = await this.ledger.releases(runId);
    } catch (error) {
      if (!(error instanceof LedgerUnreadable)) throw error;
      return `the privacy budget cannot be counted, so no update may leave: ${error.message}`;
    }
    const { delta } = this.policy.local_dp;
    const now = spent(releases, delta, this.policy.accountant);
    this.#latest = { runId, ...now, rounds: releases.length };
    return checkBudget(this.policy, now, spent([...releases, this.#nextRelease(null)], delta, this.policy.accountant));
  }

  /**
   * The weights to send: clipped and noised as the policy (and a server's clipping_norm) says. A noised release is in
   * the ledger, on disk, before this returns, so an update never leaves uncounted (one that then fails to send is
   * counted all the same: the safe side).
   */
  async release({
    runId,
    round,
    received,
    trained,
    config,
  }: ReleaseRequest): Promise<{ weights: NamedArray[]; audit: PrivacyAudit | null }> {
    const clip = this.#clipping(config);
    const dp = this.policy.local_dp;
    if (!clip && !dp) return { weights: [...trained], audit: null };
    const noiseStd = dp ? localDpNoiseStd(dp.sensitivity, dp.epsilon, dp.delta) : null;
    const released = releaseUpdate(received, trained, { clippingNorm: clip?.norm ?? null, noiseStd }, this.random);
    const audit: PrivacyAudit = {
      clippingNorm: clip?.norm ?? null,
      clippingNormFrom: clip?.from ?? null,
      scaledDown: released.scaledDown,
      noised: dp !== undefined,
    };
    if (!dp) return { weights: released.weights, audit };
    const release = this.#nextRelease(round);
    await this.ledger.record(runId, release);
    const releases = await this.ledger.releases(runId);
    const total = spent(releases, dp.delta, this.policy.accountant);
    this.#latest = { runId, ...total, rounds: releases.length };
    Object.assign(audit, {
      epsilon: dp.epsilon,
      delta: dp.delta,
      sensitivity: dp.sensitivity,
      noiseStd,
      roundEpsilon: roundEpsilon(release),
      epsilonSpent: total.epsilon,
      deltaSpent: total.delta,
      epsilonBudget: this.policy.max_total_epsilon ?? null,
      accountant: this.policy.accountant,
    });
    return { weights: released.weights, audit };
  }

  /** The spend of the run this site last checked or sent a noised update for; null before any (or without local_dp). */
  get latest(): RunSpent | null {
    return this.#latest;
  }

  /** The run's epsilon so far, for whoever shows the budget. */
  async spentIn(runId: string): Promise<{ epsilon: number; delta: number; rounds: number }> {
    const dp = this.policy.local_dp;
    if (!dp) return { epsilon: 0, delta: 0, rounds: 0 };
    const releases = await this.ledger.releases(runId);
    return { ...spent(releases, dp.delta, this.policy.accountant), rounds: releases.length };
  }

  #nextRelease(round: number | null): DpRelease {
    const dp = this.policy.local_dp!;
    return {
      round,
      noiseMultiplier: localDpNoiseStd(dp.sensitivity, dp.epsilon, dp.delta) / dp.sensitivity,
      epsilon: dp.epsilon,
      delta: dp.delta,
    };
  }

  /** The site's norm, or the server's (fixedclipping_mod's) when it sent a smaller one: the tighter bound holds for both. */
  #clipping(config: ConfigValues): { norm: number; from: 'site' | 'server' } | null {
    const site = this.policy.local_dp?.clipping_norm ?? this.policy.clipping_norm;
    const server = serverClippingNorm(config);
    if (server !== null && (site === undefined || server < site)) return { norm: server, from: 'server' };
    return site === undefined ? null : { norm: site, from: 'site' };
  }
}

/** The clipping_norm a server-side DP wrapper sent, or null; a value that is no positive number is refused with the key named. */
function serverClippingNorm(config: ConfigValues): number | null {
  const raw = config instanceof Map ? config.get(SERVER_CLIPPING_KEY) : (config as Record<string, unknown>)[SERVER_CLIPPING_KEY];
  if (raw === undefined) return null;
  const value = typeof raw === 'bigint' ? Number(raw) : raw;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    throw new ServerClippingRefused(`config "${SERVER_CLIPPING_KEY}": expected a positive number, got ${String(raw).slice(0, 40)}`);
  return value;
}

/** The server's clipping_norm is not a positive number: the round is refused, as Flower's mod fails it. */
export class ServerClippingRefused extends Error {
  override readonly name = 'ServerClippingRefused';
}
