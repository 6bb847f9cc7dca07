// Runs in the party (plain Node): the audit log, one JSON line per Fleet message received or sent: the site's record of what left it.
import type { PrivacyAudit } from '../privacy/site-privacy.js';
import { JsonLinesLog, readNewestLines } from './json-lines.js';
import type { RoundOutcome } from './party-events.js';
import type { TaskSummary } from './task-summary.js';

export type AuditDirection = 'received' | 'sent';

/** One array of a message, described but never copied: the log says what left, not the values. */
export interface AuditArray {
  record: string;
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
}

/** A line task review wrote for a message: it waits for the operator (with the task asked), or was approved or declined, by whom and why. */
export interface ReviewAudit {
  state: 'waiting' | 'approved' | 'declined';
  /** null while waiting; timeout: no answer before the message expired; cancelled: the site left or paused meanwhile. */
  by: 'operator' | 'bounds' | 'timeout' | 'cancelled' | null;
  /** A decline's reason; while waiting in auto_within_bounds mode, the bound the task is outside. */
  reason: string | null;
  task?: TaskSummary;
}

export type AuditValue = number | string | boolean | number[] | string[] | boolean[];

export interface AuditEntry {
  /** ISO-8601, UTC. */
  time: string;
  direction: AuditDirection;
  messageType: string;
  /** Node and run ids are uint64: kept as decimal text. */
  runId: string;
  /** The message's group_id: FedAvg puts the round number there. */
  group: string;
  /** The config's "server-round", when the message carried one. */
  serverRound: number | null;
  messageId: string;
  /** For a reply: the id of the message it answers. */
  replyTo: string | null;
  arrays: AuditArray[];
  /** Every metric and config value by `record.key`, e.g. `metrics.train_loss`, `config.lr`. */
  values: Record<string, AuditValue>;
  /** Bytes of the message's objects that crossed the wire (pulled, or pushed when the server asked for them). */
  bytes: number;
  /**
   * On a received line: bytes of the message's objects this site already held from the message before, so it did
   * not pull them (0 when it held none). Absent on sent lines, and on lines written before the party kept them.
   */
  cachedBytes?: number;
  /** The error a reply carried, or why a received message was refused. */
  error: string | null;
  /**
   * On a sent line: what became of the message it answers (replied; declined, refused, aborted or failed with the error
   * the reply carried; failed when the server did not take the reply). Absent on received lines and in older logs.
   */
  outcome?: RoundOutcome;
  /**
   * On a sent train reply, when the site's privacy policy or the server's clipping_norm applied: whether the update
   * left clipped and noised, with which parameters, and the run's epsilon after it against the budget.
   */
  privacy?: PrivacyAudit;
  /** On a line task review wrote (after the message's received line, under its id): waiting, approved or declined. */
  review?: ReviewAudit;
}

export type AuditInput = Omit<AuditEntry, 'time'>;

/** Appends in call order; a failed write is reported to `onError` and does not stop the party. */
export class AuditLog {
  readonly #log: JsonLinesLog;

  constructor(
    readonly file: string,
    onError: (error: Error) => void = () => {},
  ) {
    this.#log = new JsonLinesLog(file, 'audit log', onError);
  }

  /** Resolves once the line is on disk (or the write failed and was reported). */
  append(input: AuditInput, now: Date = new Date()): Promise<void> {
    return this.#log.append({ time: now.toISOString(), ...input });
  }
}

export interface ReadAuditOptions {
  /** Only the last n entries (the UI's table shows the newest). */
  last?: number;
}

/** What a read found: the entries, oldest first, and how many of the lines read were not entries (torn by a crash, or edited). */
export interface AuditRead {
  entries: AuditEntry[];
  unreadableLines: number;
}

/**
 * The most of the log's end a read takes in. A line is a few KB (a large model's arrays described run to tens of KB),
 * so this holds the 2,000 lines the UI may ask for; a file that is no audit log (one endless line) costs no more.
 */
const AUDIT_BYTES_READ = 64 * 1024 * 1024;

/** The entries of an audit log, oldest first; a missing file is an empty log, and a torn last line (a crash mid-write) is skipped. */
export async function readAuditLog(file: string, options: ReadAuditOptions = {}): Promise<AuditEntry[]> {
  return (await readAuditLines(file, options)).entries;
}

/** As readAuditLog, counting the lines it had to skip, so that whoever shows the log can say so. */
export async function readAuditLines(file: string, options: ReadAuditOptions = {}): Promise<AuditRead> {
  const read = await readNewestLines(file, 'audit log', { last: options.last ?? Infinity, maxBytes: AUDIT_BYTES_READ, parse: parseLine });
  return { entries: read.values, unreadableLines: read.unreadable };
}

function parseLine(line: string): AuditEntry | undefined {
  try {
    const entry = JSON.parse(line) as AuditEntry;
    return typeof entry === 'object' && entry !== null && typeof entry.direction === 'string' ? entry : undefined;
  } catch {
    return undefined;
  }
}
