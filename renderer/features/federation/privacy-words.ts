// Runs in the renderer: the site's privacy policy and spent budget in words, and an audit line's privacy in a few.
import type { PrivacyAuditView, PrivacyStatus } from '../../../common/contract/party-api.js';
import { formatMetric } from '../../lib/format.js';

export interface PrivacyLine {
  label: string;
  text: string;
}

export interface BudgetWords {
  text: string;
  /** Spent over budget, 0..1, for a meter; null when there is no budget (or nothing to count). */
  fraction: number | null;
  tone: 'ok' | 'attention' | 'off';
}

export function privacyLines(privacy: PrivacyStatus): PrivacyLine[] {
  const { localDp, serverMaySet: may } = privacy;
  const lines: PrivacyLine[] = [
    {
      label: 'Secure aggregation',
      text: privacy.requireSecureAggregation
        ? 'required: every round the server could read on its own (a plain train message) is declined'
        : 'not required: the server can read each update this site sends',
    },
  ];
  if (privacy.minPartiesPerRound !== null)
    lines.push({ label: 'Parties per round', text: `at least ${privacy.minPartiesPerRound}, checked in secure aggregation's setup` });
  lines.push({
    label: 'Local differential privacy',
    text: localDp
      ? `clipped to norm ${formatMetric(localDp.clippingNorm)}, Gaussian noise of sd ${formatMetric(localDp.noiseStd)} ` +
        `(epsilon ${formatMetric(localDp.epsilon)}, delta ${localDp.delta} per round, sensitivity ${formatMetric(localDp.sensitivity)})`
      : privacy.clippingNorm !== null
        ? `off; updates clipped to norm ${formatMetric(privacy.clippingNorm)} for a server that adds the noise`
        : 'off: updates leave without noise (a server that sends clipping_norm still has them clipped)',
  });
  const asks = [
    may.learningRate && `learning rate ${may.learningRate.min} to ${may.learningRate.max}`,
    may.maxEpochs !== null && `at most ${may.maxEpochs} local epochs`,
    may.batchSizes && `batch size ${may.batchSizes.join(', ')}`,
  ].filter((ask): ask is string => typeof ask === 'string');
  lines.push({ label: 'The server may set', text: asks.length ? asks.join('; ') : 'anything within the federation bounds' });
  return lines;
}

export function budgetWords(privacy: PrivacyStatus): BudgetWords {
  const budget = privacy.maxTotalEpsilon;
  if (!privacy.localDp) return { text: 'Nothing is counted: updates leave without local-DP noise.', fraction: null, tone: 'off' };
  const limit = budget === null ? 'no limit set' : `budget ${formatMetric(budget)}`;
  const spent = privacy.spent;
  if (!spent) return { text: `Epsilon spent: none yet in this run (${limit}).`, fraction: budget === null ? null : 0, tone: 'ok' };
  const rounds = `${spent.rounds} ${spent.rounds === 1 ? 'update' : 'updates'} in run ${spent.runId}, ${privacy.accountant} accountant`;
  const fraction = budget === null ? null : Math.min(1, spent.epsilon / budget);
  const of = budget === null ? '' : ` of ${formatMetric(budget)}`;
  return {
    text: `Epsilon spent: ${formatMetric(spent.epsilon)}${of} at delta ${privacy.localDp.delta} (${rounds}${budget === null ? '; no limit set' : ''}).`,
    fraction,
    tone: fraction !== null && fraction >= 0.9 ? 'attention' : 'ok',
  };
}

/** An audit line's privacy, in a table cell: masked, clipped, noised, spent. */
export function auditPrivacy(privacy: PrivacyAuditView | undefined): string {
  if (!privacy) return '—';
  const parts: string[] = privacy.masked ? ['masked (SecAgg+)'] : [];
  if (privacy.clippingNorm !== null)
    parts.push(
      `clipped to ${formatMetric(privacy.clippingNorm)} (${privacy.clippingNormFrom})${privacy.scaledDown ? ', scaled down' : ''}`,
    );
  if (privacy.noised && privacy.noiseStd !== undefined) parts.push(`noise sd ${formatMetric(privacy.noiseStd)}`);
  if (privacy.epsilonSpent !== undefined) {
    const budget = privacy.epsilonBudget ? ` of ${formatMetric(privacy.epsilonBudget)}` : '';
    parts.push(`epsilon ${formatMetric(privacy.epsilonSpent)}${budget}`);
  }
  return parts.join('; ') || '—';
}
