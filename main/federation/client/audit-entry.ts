// Runs in the party (plain Node): turns a message received or sent into its audit line: arrays described, metric and config values listed.
import type { PrivacyAudit } from '../privacy/site-privacy.js';
import type { Metadata } from '../wire/proto/record-types.js';
import type { ConfigValue, RecordDict } from '../wire/records/model.js';
import type { AuditArray, AuditDirection, AuditInput, AuditValue, ReviewAudit } from './audit-log.js';
import type { RoundOutcome } from './party-events.js';

export interface AuditSubject {
  direction: AuditDirection;
  metadata: Partial<Metadata>;
  content?: RecordDict;
  bytes: number;
  /** A received message's bytes that came from the party's cache instead of the wire. */
  cachedBytes?: number;
  error?: string | null;
  /** A sent reply's: what became of the message it answers. */
  outcome?: RoundOutcome;
  /** A sent update's: how it was clipped and noised. */
  privacy?: PrivacyAudit | null;
  /** A task review line's: waiting, approved or declined. */
  review?: ReviewAudit;
}

export function auditEntry({
  direction,
  metadata,
  content,
  bytes,
  cachedBytes,
  error = null,
  outcome,
  privacy,
  review,
}: AuditSubject): AuditInput {
  const arrays: AuditArray[] = [];
  const values: Record<string, AuditValue> = {};
  for (const [record, value] of content ?? []) {
    if (value.kind === 'arrays') {
      for (const [name, array] of value.items)
        arrays.push({ record, name, dtype: array.dtype, shape: [...array.shape], bytes: array.data.byteLength });
    } else {
      for (const [key, item] of value.items) values[`${record}.${key}`] = auditValue(item);
    }
  }
  const round = Object.entries(values).find(([key]) => /\.server[-_]round$/.test(key))?.[1];
  return {
    direction,
    messageType: metadata.messageType ?? '',
    runId: String(metadata.runId ?? ''),
    group: metadata.groupId ?? '',
    serverRound: typeof round === 'number' ? round : null,
    messageId: metadata.messageId ?? '',
    replyTo: metadata.replyToMessageId ? metadata.replyToMessageId : null,
    arrays,
    values,
    bytes,
    ...(cachedBytes !== undefined && { cachedBytes }),
    error,
    ...(outcome !== undefined && { outcome }),
    ...(privacy && { privacy }),
    ...(review && { review }),
  };
}

/** JSON has no bigint and no bytes: integers become numbers (exact below 2^53, which every round and count is), bytes their length. */
function auditValue(value: ConfigValue): AuditValue {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) {
    return value.map((item: unknown) =>
      typeof item === 'bigint' ? Number(item) : item instanceof Uint8Array ? `${item.length} bytes` : item,
    ) as AuditValue;
  }
  return value as AuditValue;
}
