// Runs in the party (plain Node): the audit log, one JSON line per Fleet message received or sent: the site's record of what left it.
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

export type AuditDirection = 'received' | 'sent';

/** One array of a message, described but never copied: the log says what left, not the values. */
export interface AuditArray {
  record: string;
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
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
}

export type AuditInput = Omit<AuditEntry, 'time'>;

/** Appends in call order; a failed write is reported to `onError` and does not stop the party. */
export class AuditLog {
  readonly file: string;
  #queue: Promise<void> = Promise.resolve();
  #folderMade = false;

  constructor(
    file: string,
    private readonly onError: (error: Error) => void = () => {},
  ) {
    this.file = file;
  }

  /** Resolves once the line is on disk (or the write failed and was reported). */
  append(input: AuditInput, now: Date = new Date()): Promise<void> {
    const line = `${JSON.stringify({ time: now.toISOString(), ...input })}\n`;
    this.#queue = this.#queue.then(() => this.#write(line));
    return this.#queue;
  }

  async #write(line: string): Promise<void> {
    try {
      if (!this.#folderMade) {
        await fsp.mkdir(path.dirname(this.file), { recursive: true });
        // A party killed mid-write left a torn last line: end it, or this first line would be glued to it and lost.
        if (await endsTorn(this.file)) line = `\n${line}`;
      }
      this.#folderMade = true;
      await fsp.appendFile(this.file, line, 'utf8');
    } catch (error) {
      this.onError(new Error(`audit log ${this.file}: cannot write: ${(error as Error).message}`, { cause: error }));
    }
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

/** The entries of an audit log, oldest first; a missing file is an empty log, and a torn last line (a crash mid-write) is skipped. */
export async function readAuditLog(file: string, options: ReadAuditOptions = {}): Promise<AuditEntry[]> {
  return (await readAuditLines(file, options)).entries;
}

/** As readAuditLog, counting the lines it had to skip, so that whoever shows the log can say so. */
export async function readAuditLines(file: string, options: ReadAuditOptions = {}): Promise<AuditRead> {
  const handle = await fsp.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`audit log ${file}: cannot read: ${error.message}`, { cause: error });
  });
  if (handle === undefined) return { entries: [], unreadableLines: 0 };
  try {
    return await readEntries(handle, options.last ?? Infinity);
  } catch (error) {
    throw new Error(`audit log ${file}: cannot read: ${(error as Error).message}`, { cause: error });
  } finally {
    await handle.close();
  }
}

/** The first read from the end; each next one doubles, so a long log costs about twice the bytes of the lines asked for. */
const FIRST_TAIL_BYTES = 64 * 1024;

/**
 * A site's log grows for as long as it takes part (a few KB a round, for years), and the UI asks for the newest lines
 * each time it refreshes: so the file is read from the end, in growing steps, until `last` whole lines are in hand.
 * Only text after a newline byte is decoded (UTF-8 never has that byte inside a character), so no line is cut.
 */
async function readEntries(handle: FileHandle, last: number): Promise<AuditRead> {
  const none = { entries: [], unreadableLines: 0 };
  if (last <= 0) return none;
  const { size } = await handle.stat();
  let start = size;
  let tail = Buffer.alloc(0);
  for (let step = FIRST_TAIL_BYTES; start > 0; step *= 2) {
    const length = Math.min(step, start);
    start -= length;
    const chunk = Buffer.alloc(length);
    await handle.read(chunk, 0, length, start);
    tail = Buffer.concat([chunk, tail]);
    const firstWhole = start === 0 ? 0 : tail.indexOf(0x0a) + 1;
    if (firstWhole === 0 && start > 0) continue; // not one whole line yet
    const read = parseLines(tail.subarray(firstWhole).toString('utf8'));
    if (read.entries.length >= last || start === 0) return newest(read, last);
  }
  return none;
}

function parseLines(text: string): AuditRead {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const entries = lines.flatMap((line) => parseLine(line));
  return { entries, unreadableLines: lines.length - entries.length };
}

/** The newest `last` entries; the unreadable lines counted are those among the lines read, a few more than asked for. */
function newest({ entries, unreadableLines }: AuditRead, last: number): AuditRead {
  return { entries: entries.slice(Math.max(0, entries.length - last)), unreadableLines };
}

async function endsTorn(file: string): Promise<boolean> {
  const handle = await fsp.open(file, 'r').catch(() => undefined);
  if (handle === undefined) return false;
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}

function parseLine(line: string): AuditEntry[] {
  try {
    const entry = JSON.parse(line) as AuditEntry;
    return typeof entry === 'object' && entry !== null && typeof entry.direction === 'string' ? [entry] : [];
  } catch {
    return [];
  }
}
