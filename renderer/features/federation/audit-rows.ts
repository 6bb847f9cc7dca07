// Runs in the renderer: audit log entries as table rows: newest first, arrays and values summed up, the full detail kept for a tooltip.
import type { AuditEntry } from '../../../common/contract/party-api.js';
import { formatBytes, formatMetric, formatTime } from '../../lib/format.js';
import { auditPrivacy } from './privacy-words.js';
import { auditReview } from './review-words.js';

export interface AuditRow {
  id: string;
  time: string;
  direction: AuditEntry['direction'];
  messageType: string;
  round: string;
  arrays: string;
  /** One line per array: record/name, dtype and shape. */
  arraysDetail: string;
  /** What crossed the wire, and what the party reused instead of downloading. */
  bytes: string;
  /** For a tooltip: what the two numbers of `bytes` mean; empty when nothing was reused. */
  bytesDetail: string;
  values: string;
  valuesDetail: string;
  /** A sent update's clipping, noise and epsilon spent ('—' when it had none); empty on a received line. */
  privacy: string;
  error: string | null;
}

const VALUES_SHOWN = 4;

export function auditRows(entries: readonly AuditEntry[]): AuditRow[] {
  return entries.map((entry, index) => auditRow(entry, index)).reverse();
}

function auditRow(entry: AuditEntry, index: number): AuditRow {
  const values = Object.entries(entry.values).map(([key, value]) => `${key.replace(/^metrics\./, '')} ${valueText(value)}`);
  const parameters = entry.arrays.reduce((sum, array) => sum + array.shape.reduce((product, n) => product * n, 1), 0);
  return {
    id: `${index}:${entry.direction}:${entry.messageId}`,
    time: formatTime(entry.time),
    direction: entry.direction,
    messageType: entry.messageType || '?',
    round: entry.round === null ? '—' : String(entry.round),
    arrays: entry.arrays.length ? `${entry.arrays.length} (${parameters.toLocaleString('en')} values)` : 'none',
    arraysDetail: entry.arrays.map((a) => `${a.record}/${a.name}: ${a.dtype} [${a.shape.join('×')}], ${formatBytes(a.bytes)}`).join('\n'),
    ...bytesCell(entry),
    values: entry.review
      ? auditReview(entry.review)
      : values.length > VALUES_SHOWN
        ? `${values.slice(0, VALUES_SHOWN).join(', ')}, +${values.length - VALUES_SHOWN} more`
        : values.join(', ') || '—',
    valuesDetail: values.join('\n'),
    privacy: entry.direction === 'sent' ? auditPrivacy(entry.privacy) : '',
    error: entry.error,
  };
}

/** A received message whose objects the party already held crossed the wire in part: both numbers, so neither is mistaken for the other. */
function bytesCell({ bytes, cachedBytes }: AuditEntry): Pick<AuditRow, 'bytes' | 'bytesDetail'> {
  if (!cachedBytes) return { bytes: formatBytes(bytes), bytesDetail: '' };
  return {
    bytes: `${formatBytes(bytes)} (+${formatBytes(cachedBytes)} reused)`,
    bytesDetail:
      `${formatBytes(bytes)} downloaded. ${formatBytes(cachedBytes)} of this message (the global model, most often) ` +
      'this site already held from the message before, checked by its hash, so it was not downloaded again.',
  };
}

function valueText(value: AuditEntry['values'][string]): string {
  if (Array.isArray(value)) return `[${value.map((item) => (typeof item === 'number' ? formatMetric(item) : String(item))).join(', ')}]`;
  return typeof value === 'number' ? formatMetric(value) : String(value);
}
