// Runs in the services process (plain Node): the party's audit log as the contract carries it, one row per message received or sent.
import { PrivacyAuditSchema, type AuditEntry as ContractAuditEntry } from '../../common/contract/party-api.js';
import { ReviewAuditSchema } from '../../common/contract/review-api.js';
import { readAuditLines } from '../federation/client/audit-log.js';
import type { AuditEntry } from '../federation/client/audit-log.js';

export async function readAuditEntries(file: string, last: number): Promise<{ entries: ContractAuditEntry[]; unreadableLines: number }> {
  const { entries, unreadableLines } = await readAuditLines(file, { last });
  return { entries: entries.map(contractEntry), unreadableLines };
}

/**
 * FedAvg puts the round in the config ("server-round") and in the group id: whichever the message has. cachedBytes is
 * there only on received lines written since the party keeps objects; older and sent lines go without.
 */
function contractEntry(entry: AuditEntry): ContractAuditEntry {
  const { time, direction, messageType, group, serverRound, messageId, replyTo, arrays, values, bytes, cachedBytes, error, outcome } =
    entry;
  const privacy = PrivacyAuditSchema.safeParse(entry.privacy);
  const review = ReviewAuditSchema.safeParse(entry.review);
  const groupRound = /^\d+$/.test(group) ? Number(group) : null;
  return {
    time,
    direction,
    messageType,
    group,
    messageId,
    replyTo,
    bytes,
    error,
    ...(isByteCount(cachedBytes) && { cachedBytes }),
    ...(isOutcome(outcome) && { outcome }),
    // A hand-edited line's privacy record that does not read as one is left out rather than break the table.
    ...(privacy.success && { privacy: privacy.data }),
    ...(review.success && { review: review.data }),
    round: serverRound ?? groupRound,
    arrays: arrays.map(({ record, name, dtype, shape, bytes: size }) => ({ record, name, dtype, shape, bytes: size })),
    values: Object.fromEntries(Object.entries(values).filter(([, value]) => isFiniteValue(value))),
  };
}

const OUTCOMES = new Set(['replied', 'declined', 'refused', 'aborted', 'failed']);

function isOutcome(value: unknown): value is NonNullable<ContractAuditEntry['outcome']> {
  return typeof value === 'string' && OUTCOMES.has(value);
}

/** A hand-edited or damaged line may hold anything there: only a count is one. */
function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** JSON writes NaN and Infinity (a diverged metric) as null: such a value is left out rather than break the whole table. */
function isFiniteValue(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(isFiniteValue);
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}
