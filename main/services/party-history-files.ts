// Runs in the services process (plain Node): the history rebuilt from what is on disk (the audit log, the epoch log beside it).
import { z } from 'zod';
import { events } from '../../common/contract/contract.js';
import type { EpochProgress, RoundSummary } from '../../common/contract/party-api.js';
import type { LocalEvaluationResult } from '../../common/local-evaluation.js';
import { readAuditLines } from '../federation/client/audit-log.js';
import { epochLogOf } from '../federation/client/epoch-log.js';
import { evaluationLogOf } from '../federation/client/evaluation-log.js';
import { readNewestLines, type NewestLines } from '../federation/client/json-lines.js';
import { PartyHistory } from './party-history.js';

/** About 1000 rounds of train and evaluate, received and sent: what the history keeps of a run. */
const AUDIT_LINES_READ = 4000;
/** An epoch line is about 250 bytes: the newest 4000 or so. */
const EPOCH_BYTES_READ = 1024 * 1024;
/** A 10-class evaluation line is about 600 bytes, a 1000-class one a few MB: the newest rounds that fit. */
const EVALUATION_BYTES_READ = 32 * 1024 * 1024;

/** The fields of an audit line the history reads; a line without them (edited, from another tool) is counted, not guessed at. */
const AuditLineSchema = z.object({
  time: z.string().refine((text) => Number.isFinite(Date.parse(text))),
  direction: z.enum(['received', 'sent']),
  messageType: z.string(),
  runId: z.string().regex(/^\d{1,20}$/),
  group: z.string(),
  serverRound: z.number().int().nullable().optional(),
  messageId: z.string(),
  replyTo: z.string().nullable(),
  values: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  outcome: z.enum(['replied', 'declined', 'refused', 'aborted', 'failed']).optional(),
});
type AuditLine = z.infer<typeof AuditLineSchema>;

const EpochLineSchema = z.object({ time: z.string() }).passthrough();

/**
 * Every round this site served is in its audit log: the message received (run, round) and the reply sent (the
 * metrics, or the error it carried). Epochs never leave the site, so the party writes them to its epoch log.
 * Both are read from the end, bounded: the newest runs are the ones an operator looks back on.
 */
export async function readHistory(auditLog: string): Promise<PartyHistory> {
  const [audit, epochs, evaluations] = await Promise.all([
    readAuditLines(auditLog, { last: AUDIT_LINES_READ }),
    readEpochLines(epochLogOf(auditLog)),
    readEvaluationLines(evaluationLogOf(auditLog)),
  ]);
  const lines = audit.entries.map((entry) => AuditLineSchema.safeParse(entry));
  const usable = lines.flatMap((line) => (line.success ? [line.data] : []));
  const history = new PartyHistory(audit.unreadableLines + lines.length - usable.length + epochs.unreadable + evaluations.unreadable);
  // A message's first received line is when it arrived; task review may add more under its id (waiting, approved, declined).
  const received = new Map<string, AuditLine>();
  for (const line of usable) if (line.direction === 'received' && !received.has(line.messageId)) received.set(line.messageId, line);
  for (const sent of usable) {
    const asked = sent.direction === 'sent' && sent.replyTo !== null ? received.get(sent.replyTo) : undefined;
    // A reply whose message is older than what was read belongs to a run older than the history keeps.
    if (asked?.runId === sent.runId) history.addRound(roundOf(asked, sent), sent.time, asked.time);
  }
  for (const { time, epoch } of epochs.values) history.addEpoch(epoch, time);
  for (const evaluation of evaluations.values) history.addEvaluation(evaluation);
  return history;
}

/** A round summary as the party made it when it served the message, from its two audit lines. */
function roundOf(asked: AuditLine, sent: AuditLine): RoundSummary {
  const seconds = Math.max(0, (Date.parse(sent.time) - Date.parse(asked.time)) / 1000);
  const round = asked.serverRound ?? numbered(asked.group) ?? numbered(sent.group);
  return {
    messageType: sent.messageType,
    runId: sent.runId,
    round,
    group: sent.group,
    outcome: sent.outcome ?? outcomeOf(sent.error),
    metrics: metricsOf(sent.values),
    seconds,
    error: sent.error,
  };
}

function numbered(group: string): number | null {
  return /^\d+$/.test(group) ? Number(group) : null;
}

/** A sent line says its outcome; in a log written before it did, the reason a reply carried tells it, as these words were. */
const OUTCOMES: [RegExp, RoundSummary['outcome']][] = [
  [/could not be sent/, 'failed'],
  [/^this site declined /, 'declined'],
  [/^this site's operator stopped /, 'aborted'],
  [/^(message .* refused: |refused ")/, 'refused'],
];

function outcomeOf(error: string | null): RoundSummary['outcome'] {
  if (error === null) return 'replied';
  return OUTCOMES.find(([reason]) => reason.test(error))?.[1] ?? 'failed';
}

/** Flower's older strategies get their metrics under other records and names (replies.ts): the summary uses the Message API's. */
const LEGACY_METRICS: Record<string, string> = {
  'fitres.num_examples.num_examples': 'num-examples',
  'evaluateres.num_examples.num_examples': 'num-examples',
  'evaluateres.loss.loss': 'eval_loss',
};

function metricsOf(values: Record<string, unknown>): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(values)) {
    const name = LEGACY_METRICS[key] ?? /^(?:metrics|fitres\.metrics|evaluateres\.metrics)\.(.+)$/.exec(key)?.[1];
    if (name !== undefined && typeof value === 'number' && Number.isFinite(value)) metrics[name] = value;
  }
  return metrics;
}

interface EpochLine {
  time: string;
  epoch: EpochProgress;
}

/** The newest lines of the epoch log, whole lines only; a missing file is an empty log. */
function readEpochLines(file: string): Promise<NewestLines<EpochLine>> {
  return readNewestLines(file, 'epoch log', { last: Infinity, maxBytes: EPOCH_BYTES_READ, parse: epochLine });
}

function epochLine(line: string): EpochLine | undefined {
  try {
    const { time, ...rest } = EpochLineSchema.parse(JSON.parse(line));
    const epoch = events['party.progress'].payload.parse(rest);
    return epoch.kind === 'epoch' && epoch.runId !== null ? { time, epoch } : undefined;
  } catch {
    return undefined;
  }
}

/** The newest lines of the evaluation log, each as the contract reads it; a missing file is an empty log. */
function readEvaluationLines(file: string): Promise<NewestLines<LocalEvaluationResult>> {
  return readNewestLines(file, 'evaluation log', { last: Infinity, maxBytes: EVALUATION_BYTES_READ, parse: evaluationLine });
}

function evaluationLine(line: string): LocalEvaluationResult | undefined {
  try {
    return events['party.evaluation'].payload.parse(JSON.parse(line));
  } catch {
    return undefined;
  }
}
