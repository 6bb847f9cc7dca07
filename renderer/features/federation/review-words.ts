// Runs in the renderer: task review in words: what a run's task asks, the review mode and bounds, and each run decided.
import type { AuditEntry } from '../../../common/contract/party-api.js';
import type { ReviewStatus, RunDecisionView, TaskSummaryView } from '../../../common/contract/review-api.js';
import { formatTime } from '../../lib/format.js';

export interface Line {
  label: string;
  text: string;
}

/** The task as the operator reviews it; a setting the server does not set is marked as the site's own. */
export function taskLines(task: TaskSummaryView): Line[] {
  const own = (name: string) => (task.setByServer.includes(name) ? '' : " (this site's own)");
  const setting = (name: string, value: number | null) => (value === null ? '—' : `${value}${own(name)}`);
  return [
    {
      label: 'Model',
      text: `${task.model.name ?? "the config's model"}: ${task.model.parameters.toLocaleString('en')} parameters in ${task.model.arrays} arrays`,
    },
    { label: 'Rounds', text: `${task.rounds ?? 'not said by the server'}${task.round === null ? '' : `; this is round ${task.round}`}` },
    { label: 'Local epochs', text: setting('local epochs', task.localEpochs) },
    { label: 'Learning rate', text: setting('learning rate', task.learningRate) },
    { label: 'Batch size', text: setting('batch size', task.batchSize) },
    { label: 'Sent back', text: task.sends.join(', ') },
  ];
}

/** The mode in a sentence, with the bounds when it approves within them. */
export function modeWords({ mode, bounds }: ReviewStatus): string {
  switch (mode) {
    case null:
      return 'Shown once the party has joined: the review: section of its config.';
    case 'off':
      return 'Task review is off: every run is served without asking. Add review: {mode: ask} to the config to approve each run first.';
    case 'ask':
      return 'Each federation run waits for your approval before this site trains for it. Approval holds for that run only.';
    case 'auto_within_bounds':
      return `A run within these bounds is approved without asking: ${boundWords(bounds)}. Any other waits for your approval.`;
  }
}

function boundWords(bounds: ReviewStatus['bounds']): string {
  if (!bounds) return 'none';
  const words = [
    bounds.learning_rate && `learning rate ${bounds.learning_rate.min} to ${bounds.learning_rate.max}`,
    bounds.max_epochs !== undefined && `at most ${bounds.max_epochs} local epochs`,
    bounds.batch_sizes && `batch size ${bounds.batch_sizes.join(' or ')}`,
    bounds.max_parameters !== undefined && `at most ${bounds.max_parameters.toLocaleString('en')} parameters`,
    bounds.max_rounds !== undefined && `at most ${bounds.max_rounds} rounds`,
  ];
  return words.filter((word): word is string => typeof word === 'string').join(', ');
}

/** One run decided, for the list under the panel. */
export function decisionWords(decision: RunDecisionView): string {
  const by = decision.by === 'bounds' ? 'within the review bounds' : 'by the operator';
  const why = decision.reason ? `: ${decision.reason}` : '';
  return `${decision.decision === 'approved' ? 'Approved' : 'Declined'} ${by}, ${formatTime(decision.at)}${why}`;
}

/** A task review line of the audit log, in the cell where a message's values go. */
export function auditReview(review: NonNullable<AuditEntry['review']>): string {
  const why = review.reason ? `: ${review.reason}` : '';
  if (review.state === 'waiting') return `task review: waiting for the operator's approval${why}`;
  const by = {
    operator: 'by the operator',
    bounds: 'within the review bounds',
    timeout: 'not answered in time',
    cancelled: 'the site left or paused',
  };
  return `task review: ${review.state} (${review.by ? by[review.by] : '?'})${why}`;
}
