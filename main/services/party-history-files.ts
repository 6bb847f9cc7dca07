// Runs in the services process (plain Node): the history rebuilt from what is on disk (the audit log, the epoch log beside it), and the epoch log written.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { events } from '../../common/contract/contract.js';
import type { EpochProgress, RoundSummary } from '../../common/contract/party-api.js';
import { readAuditLines } from '../federation/client/audit-log.js';
import { PartyHistory } from './party-history.js';

/** About 1000 rounds of train and evaluate, received and sent: what the history keeps of a run. */
const AUDIT_LINES_READ = 4000;
/** An epoch line is about 250 bytes: the newest 4000 or so. */
const EPOCH_BYTES_READ = 1024 * 1024;

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
});
type AuditLine = z.infer<typeof AuditLineSchema>;

const EpochLineSchema = z.object({ time: z.string() }).passthrough();

/** Where the party service keeps finished epochs: beside the audit log, `federation-audit.jsonl` -> `federation-audit.epochs.jsonl`. */
export function epochLogOf(auditLog: string): string {
  return `${auditLog.replace(/\.jsonl$/, '')}.epochs.jsonl`;
}

/**
 * Every round this site served is in its audit log: the message received (run, round) and the reply sent (the
 * metrics, or the error it carried). Epochs never leave the site, so the party service writes them to the epoch log.
 * Both are read from the end, bounded: the newest runs are the ones an operator looks back on.
 */
export async function readHistory(auditLog: string): Promise<PartyHistory> {
  const [audit, epochs] = await Promise.all([readAuditLines(auditLog, { last: AUDIT_LINES_READ }), readEpochLines(epochLogOf(auditLog))]);
  const lines = audit.entries.map((entry) => AuditLineSchema.safeParse(entry));
  const usable = lines.flatMap((line) => (line.success ? [line.data] : []));
  const history = new PartyHistory(audit.unreadableLines + lines.length - usable.length + epochs.unreadable);
  const received = new Map(usable.filter((line) => line.direction === 'received').map((line) => [line.messageId, line]));
  for (const sent of usable) {
    const asked = sent.direction === 'sent' && sent.replyTo !== null ? received.get(sent.replyTo) : undefined;
    // A reply whose message is older than what was read belongs to a run older than the history keeps.
    if (asked?.runId === sent.runId) history.addRound(roundOf(asked, sent), sent.time, asked.time);
  }
  for (const { time, epoch } of epochs.lines) history.addEpoch(epoch, time);
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
    outcome: outcomeOf(sent.error),
    metrics: metricsOf(sent.values),
    seconds,
    error: sent.error,
  };
}

function numbered(group: string): number | null {
  return /^\d+$/.test(group) ? Number(group) : null;
}

/** The reasons serve-message.ts gives a reply that carries an error, by what happened. */
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

interface EpochLines {
  lines: { time: string; epoch: EpochProgress }[];
  unreadable: number;
}

/** The newest lines of the epoch log, whole lines only; a missing file is an empty log. */
async function readEpochLines(file: string): Promise<EpochLines> {
  const text = await readTail(file, EPOCH_BYTES_READ);
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const parsed = lines.flatMap((line) => epochLine(line));
  return { lines: parsed, unreadable: lines.length - parsed.length };
}

function epochLine(line: string): { time: string; epoch: EpochProgress }[] {
  try {
    const { time, ...rest } = EpochLineSchema.parse(JSON.parse(line));
    const epoch = events['party.progress'].payload.parse(rest);
    return epoch.kind === 'epoch' && epoch.runId !== null ? [{ time, epoch }] : [];
  } catch {
    return [];
  }
}

async function readTail(file: string, maxBytes: number): Promise<string> {
  const handle = await fsp.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`epoch log ${file}: cannot read: ${error.message}`, { cause: error });
  });
  if (handle === undefined) return '';
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, maxBytes);
    const bytes = Buffer.alloc(length);
    await handle.read(bytes, 0, length, size - length);
    // Only whole lines: the first one is cut unless the read began at the start of the file.
    const start = length < size ? bytes.indexOf(0x0a) + 1 : 0;
    return bytes.subarray(start).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Appends each finished epoch in call order; the first failed write is reported (disk full, say), later ones are not repeated. */
export class EpochLog {
  #queue: Promise<void> = Promise.resolve();
  #opened = false;
  #failed = false;

  constructor(
    readonly file: string,
    private readonly onError: (message: string) => void,
  ) {}

  append(epoch: EpochProgress, time: string): Promise<void> {
    const line = `${JSON.stringify({ time, ...epoch })}\n`;
    this.#queue = this.#queue.then(() => this.#write(line));
    return this.#queue;
  }

  /** Resolves once every line appended so far is written (or its failure reported). */
  flushed(): Promise<void> {
    return this.#queue;
  }

  async #write(line: string): Promise<void> {
    try {
      if (!this.#opened) {
        await fsp.mkdir(path.dirname(this.file), { recursive: true });
        // A services process killed mid-write left a torn last line: end it, or this line would be glued to it and lost.
        if (!(await endsWithNewline(this.file))) line = `\n${line}`;
        this.#opened = true;
      }
      await fsp.appendFile(this.file, line, 'utf8');
    } catch (error) {
      if (!this.#failed)
        this.onError(
          `epoch log ${this.file}: cannot write: ${(error as Error).message}; this run's epochs will not be there after a restart`,
        );
      this.#failed = true;
    }
  }
}

/** True for a missing or empty file too: there is nothing to end. */
async function endsWithNewline(file: string): Promise<boolean> {
  const handle = await fsp.open(file, 'r').catch(() => undefined);
  if (handle === undefined) return true;
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
}
