// Tests (Node, real files): the JSON-lines logs' shared reader and writer: newest lines first, reads bounded, torn lines ended.
import { appendFile, mkdtemp, open, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAuditLines } from '../../../../main/federation/client/audit-log.js';
import { JsonLinesLog, readNewestLines } from '../../../../main/federation/client/json-lines.js';

const tempFile = async (name: string) => path.join(await mkdtemp(path.join(os.tmpdir(), 'tributary-jsonl-')), name);
/** The line's number, or undefined for a line that is not one (as a log's parse answers). */
const numbers = (line: string) => (Number.isFinite(Number(line)) ? Number(line) : undefined);

/** A file of `bytes` zero bytes without a newline, sparse on disk: what a log file is not, at any size. */
async function endlessLine(bytes: number): Promise<string> {
  const file = await tempFile('endless.jsonl');
  const handle = await open(file, 'w');
  await handle.truncate(bytes);
  await handle.close();
  return file;
}

describe('readNewestLines', () => {
  it('gives the newest lines it is asked for, oldest first, reading back over several steps from the end', async () => {
    const file = await tempFile('n.jsonl');
    // 40,000 lines of about 7 bytes: the newest 30,000 span several of the reader's growing steps.
    await writeFile(file, Array.from({ length: 40_000 }, (_, i) => `${i}`.padStart(6, '0') + '\n').join(''));
    const read = await readNewestLines(file, 'test log', { last: 30_000, maxBytes: 1 << 30, parse: numbers });
    expect(read.values).toHaveLength(30_000);
    expect([read.values[0], read.values.at(-1)]).toEqual([10_000, 39_999]);
    expect(read.unreadable).toBe(0);
  });

  it('stops at maxBytes from the end: older lines are not read, and the line cut there is not counted', async () => {
    const file = await tempFile('n.jsonl');
    await writeFile(file, Array.from({ length: 1000 }, (_, i) => `${i}`.padStart(9, '0') + '\n').join('')); // 10 bytes a line
    const read = await readNewestLines(file, 'test log', { last: Infinity, maxBytes: 95, parse: numbers });
    expect(read).toEqual({ values: [991, 992, 993, 994, 995, 996, 997, 998, 999], unreadable: 0 });
  });

  it('counts lines that are not values, and takes a missing file for an empty log', async () => {
    const file = await tempFile('n.jsonl');
    await writeFile(file, '1\n{"torn":\n2\n\n"text"\n3');
    expect(await readNewestLines(file, 'test log', { last: 10, maxBytes: 1024, parse: numbers })).toEqual({
      values: [1, 2, 3],
      unreadable: 2,
    });
    const none = path.join(path.dirname(file), 'none.jsonl');
    expect(await readNewestLines(none, 'test log', { last: 10, maxBytes: 1024, parse: numbers })).toEqual({ values: [], unreadable: 0 });
  });

  it('reads no more than maxBytes of a 4 GiB file without one newline, and says its one line is unreadable', async () => {
    const file = await endlessLine(4 * 2 ** 30);
    const started = performance.now();
    expect(await readNewestLines(file, 'test log', { last: 10, maxBytes: 1 << 20, parse: numbers })).toEqual({ values: [], unreadable: 1 });
    // The audit log's own bound (64 MiB): before it, this read concatenated the whole file and failed past Buffer's limit.
    expect(await readAuditLines(file, { last: 200 })).toEqual({ entries: [], unreadableLines: 1 });
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('JsonLinesLog', () => {
  it('appends in call order, ends a line torn by a crash before its first line, and reports a failed write by file', async () => {
    const file = await tempFile('log.jsonl');
    await writeFile(file, '{"n":1}\n{"n":2,"to');
    const errors: string[] = [];
    const log = new JsonLinesLog(file, 'test log', (error) => errors.push(error.message));
    await Promise.all([log.append({ n: 3 }), log.append({ n: 4 })]);
    await appendFile(file, '');
    expect((await readFile(file, 'utf8')).split('\n')).toEqual(['{"n":1}', '{"n":2,"to', '{"n":3}', '{"n":4}', '']);
    expect(errors).toEqual([]);
    const blocked = new JsonLinesLog(path.join(file, 'under-a-file.jsonl'), 'test log', (error) => errors.push(error.message));
    await blocked.append({ n: 5 });
    expect(errors).toEqual([expect.stringMatching(/^test log .*under-a-file\.jsonl: cannot write: /)]);
  });
});
