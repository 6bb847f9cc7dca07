// Runs in main (plain Node): a JSON-lines log a process appends to and reads back from its end (the audit log, the epoch
// log): a line torn by a crash is ended before the next one, and a read is bounded however large the file grows.
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** Appends one JSON value per line, in call order; a failed write goes to `onError` and stops nothing. */
export class JsonLinesLog {
  #queue: Promise<void> = Promise.resolve();
  #folderMade = false;

  constructor(
    readonly file: string,
    /** What the log is, for messages: `audit log`, `epoch log`. */
    private readonly what: string,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Resolves once the line is on disk (or the write failed and was reported). */
  append(value: object): Promise<void> {
    const line = `${JSON.stringify(value)}\n`;
    this.#queue = this.#queue.then(() => this.#write(line));
    return this.#queue;
  }

  /** Resolves once every line appended so far is written (or its failure reported). */
  flushed(): Promise<void> {
    return this.#queue;
  }

  async #write(line: string): Promise<void> {
    try {
      if (!this.#folderMade) {
        await fsp.mkdir(path.dirname(this.file), { recursive: true });
        // A process killed mid-write left a torn last line: end it, or this first line would be glued to it and lost.
        if (await endsTorn(this.file)) line = `\n${line}`;
      }
      this.#folderMade = true;
      await fsp.appendFile(this.file, line, 'utf8');
    } catch (error) {
      this.onError(new Error(`${this.what} ${this.file}: cannot write: ${(error as Error).message}`, { cause: error }));
    }
  }
}

export interface NewestLinesOptions<T> {
  /** How many usable lines are wanted; the read stops once it has them. */
  last: number;
  /** The most bytes read from the end: a file that is not the log it should be (one endless line) costs no more. */
  maxBytes: number;
  /** The line's value, or undefined when it is not one (torn, edited): such lines are counted, not returned. */
  parse: (line: string) => T | undefined;
}

/** What a read found: the usable lines' values, oldest first, and how many of the lines read were not usable. */
export interface NewestLines<T> {
  values: T[];
  unreadable: number;
}

/** The first read from the end; each next one doubles, so a long log costs about twice the bytes of the lines asked for. */
const FIRST_TAIL_BYTES = 64 * 1024;

/**
 * The newest `last` usable lines of `what` at `file`; a missing file is an empty log. A site's logs grow for as long as it
 * takes part (a few KB a round, for years) and the UI asks for the newest lines each time it refreshes, so the file is read
 * from the end, in growing steps, until `last` usable lines are in hand or `maxBytes` are read. Only text after a newline
 * byte is decoded (UTF-8 never has that byte inside a character), so no line is cut.
 */
export async function readNewestLines<T>(file: string, what: string, options: NewestLinesOptions<T>): Promise<NewestLines<T>> {
  const handle = await fsp.open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`${what} ${file}: cannot read: ${error.message}`, { cause: error });
  });
  if (handle === undefined) return { values: [], unreadable: 0 };
  try {
    return await readFromEnd(handle, options);
  } catch (error) {
    throw new Error(`${what} ${file}: cannot read: ${(error as Error).message}`, { cause: error });
  } finally {
    await handle.close();
  }
}

async function readFromEnd<T>(handle: FileHandle, { last, maxBytes, parse }: NewestLinesOptions<T>): Promise<NewestLines<T>> {
  const none = { values: [], unreadable: 0 };
  if (last <= 0) return none;
  const { size } = await handle.stat();
  const floor = Math.max(0, size - maxBytes);
  let start = size;
  let tail = Buffer.alloc(0);
  for (let step = FIRST_TAIL_BYTES; start > floor; step *= 2) {
    const length = Math.min(step, start - floor);
    start -= length;
    const chunk = Buffer.alloc(length);
    await handle.read(chunk, 0, length, start);
    tail = Buffer.concat([chunk, tail]);
    const firstWhole = start === 0 ? 0 : tail.indexOf(0x0a) + 1;
    if (firstWhole === 0 && start > 0) {
      if (start > floor) continue; // not one whole line yet
      return { values: [], unreadable: 1 }; // maxBytes of one line without end: not a line of this log
    }
    const read = parseLines(tail.subarray(firstWhole).toString('utf8'), parse);
    if (read.values.length >= last || start === floor) return newest(read, last);
  }
  return none;
}

function parseLines<T>(text: string, parse: (line: string) => T | undefined): NewestLines<T> {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const values = lines.flatMap((line) => {
    const value = parse(line);
    return value === undefined ? [] : [value];
  });
  return { values, unreadable: lines.length - values.length };
}

/** The newest `last` values; the unreadable lines counted are those among the lines read, a few more than asked for. */
function newest<T>({ values, unreadable }: NewestLines<T>, last: number): NewestLines<T> {
  return { values: values.slice(Math.max(0, values.length - last)), unreadable };
}

/** The file's last byte is not a newline: a crash cut its last line short. A missing or empty file has nothing to end. */
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
