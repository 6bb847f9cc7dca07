// Runs in the aggregator's CLI (and any text view): a round record as a row of the progress table, and the events as log lines.
import type { AggregatorEvent } from './events.js';
import type { Metrics } from './fedavg.js';
import type { RoundRecord } from './metrics-history.js';

export const ROUND_COLUMNS = [
  'round',
  'status',
  'sampled',
  'replied',
  'dropped',
  'refused',
  'examples',
  'train loss',
  'eval loss',
  'eval acc',
  'seconds',
];
/** Wide enough for every column's header and its usual values, so rows printed one by one line up. */
const WIDTHS = [5, 9, 7, 7, 7, 7, 9, 10, 9, 8, 7];

const TRAIN_LOSS_KEYS = ['train_loss', 'train-loss', 'loss'];

export function roundRow(record: RoundRecord): string[] {
  const { train } = record;
  return [
    String(record.round),
    record.status,
    String(train.sampled.length),
    String(train.replied.length),
    String(train.dropped.length),
    String(train.refused.length),
    String(train.num_examples),
    fixed(firstNumber(train.metrics, TRAIN_LOSS_KEYS), 4),
    fixed(record.eval_loss, 4),
    fixed(record.eval_accuracy, 4),
    record.seconds.toFixed(1),
  ];
}

/** One line with fixed widths, so a row can be printed as soon as its round ends. */
export function fixedWidthLine(cells: readonly string[]): string {
  return cells
    .map((cell, i) => (i === 0 ? cell.padEnd(WIDTHS[i]!) : cell.padStart(WIDTHS[i] ?? 0)))
    .join('  ')
    .trimEnd();
}

/** The progress line for an event, or undefined for events the table itself shows (round-done) or that say nothing new. */
export function eventLine(event: AggregatorEvent): string | undefined {
  switch (event.type) {
    case 'listening':
      return `listening for parties: ${event.transport} on ${event.address}${event.tls ? ' (TLS)' : ' (PLAIN TEXT)'}`;
    case 'waiting-for-nodes':
      return `round ${event.round} ${event.phase}: waiting for nodes: ${event.online} online, ${event.needed} needed`;
    case 'phase-started':
      return `round ${event.round} ${event.phase}: asked ${event.sampled.length} of ${event.online} online nodes`;
    case 'node-replied':
      return `round ${event.round} ${event.phase}: node ${event.node} replied (${event.numExamples} examples)`;
    case 'node-dropped':
    case 'reply-refused':
    case 'round-done':
      return undefined; // the log line (warn) or the table row says it
    case 'log':
      return event.level === 'info' ? event.message : `${event.level}: ${event.message}`;
  }
}

function firstNumber(metrics: Metrics, keys: readonly string[]): number | null {
  const key = keys.find((k) => typeof metrics[k] === 'number');
  return key === undefined ? null : (metrics[key] as number);
}

function fixed(value: number | null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}
