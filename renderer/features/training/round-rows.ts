// Runs in the renderer: round summaries as the table of past rounds (a row per round: its training, its evaluation) and as per-round chart points.
import type { RoundSummary } from '../../../common/contract/party-api.js';
import { formatDuration, formatMetric } from '../../lib/format.js';
import type { Point } from './chart-geometry.js';

export interface PhaseCell {
  outcome: RoundSummary['outcome'];
  loss: string;
  acc: string;
  examples: string;
  seconds: string;
  error: string | null;
}

export interface RoundRow {
  key: string;
  round: string;
  train: PhaseCell | null;
  evaluate: PhaseCell | null;
}

/** Newest first. A round is known by its number, or by its message group when the server sent none. */
export function roundRows(rounds: readonly RoundSummary[]): RoundRow[] {
  const rows = new Map<string, RoundRow>();
  for (const summary of rounds) {
    const phase = summary.messageType === 'train' ? 'train' : summary.messageType === 'evaluate' ? 'evaluate' : null;
    if (!phase) continue;
    const key = summary.round === null ? `group ${summary.group}` : String(summary.round);
    const row = rows.get(key) ?? { key, round: summary.round === null ? '?' : String(summary.round), train: null, evaluate: null };
    row[phase] = cell(summary, phase === 'train' ? 'train' : 'eval');
    rows.set(key, row);
  }
  return [...rows.values()].reverse();
}

function cell({ outcome, metrics, seconds, error }: RoundSummary, prefix: 'train' | 'eval'): PhaseCell {
  const examples = metrics['num-examples'];
  return {
    outcome,
    loss: formatMetric(metrics[`${prefix}_loss`]),
    acc: formatMetric(metrics[`${prefix}_acc`]),
    examples: examples === undefined ? '—' : examples.toLocaleString('en'),
    seconds: formatDuration(seconds),
    error,
  };
}

/** One metric per round, from the rounds that replied with it: `train_loss` is local training, `eval_loss` the global model on local data. */
export function roundPoints(rounds: readonly RoundSummary[], metric: string): Point[] {
  return rounds.flatMap(({ round, outcome, metrics }) => {
    const y = metrics[metric];
    return round !== null && outcome === 'replied' && y !== undefined ? [{ x: round, y }] : [];
  });
}
