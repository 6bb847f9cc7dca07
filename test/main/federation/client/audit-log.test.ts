// Tests (Node, real files): the audit log's JSON lines: what a line says, written in order, read back for the UI's table.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditEntry } from '../../../../main/federation/client/audit-entry.js';
import { AuditLog, readAuditLines, readAuditLog, type AuditInput } from '../../../../main/federation/client/audit-log.js';
import { arrayRecord, recordDict } from '../../../../main/federation/wire/records/model.js';

const entry = (messageType: string, direction: 'received' | 'sent' = 'received'): AuditInput => ({
  direction,
  messageType,
  runId: '18446744073709551615',
  group: '2',
  serverRound: 2,
  messageId: 'ab'.repeat(32),
  replyTo: null,
  arrays: [{ record: 'arrays', name: 'dense/kernel', dtype: 'float32', shape: [784, 128], bytes: 401_408 }],
  values: { 'config.lr': 0.01, 'metrics.num-examples': 1000 },
  bytes: 401_600,
  error: null,
});

describe('the audit log', () => {
  it('writes one JSON line per message in call order, in a folder it creates, and reads them back', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'tributary-audit-')), 'logs', 'audit.jsonl');
    const log = new AuditLog(file);
    const at = new Date('2026-01-02T03:04:05.678Z');
    await Promise.all([log.append(entry('train'), at), log.append(entry('train', 'sent'), at), log.append(entry('evaluate'), at)]);
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toEqual({ time: '2026-01-02T03:04:05.678Z', ...entry('train') });
    expect((await readAuditLog(file)).map((e) => [e.direction, e.messageType])).toEqual([
      ['received', 'train'],
      ['sent', 'train'],
      ['received', 'evaluate'],
    ]);
    expect((await readAuditLog(file, { last: 2 })).map((e) => e.messageType)).toEqual(['train', 'evaluate']);
  });

  it('says on a received line how many of its bytes the party held already (not pulled); sent lines have no such field', () => {
    const content = recordDict([
      ['arrays', arrayRecord([['dense/kernel', { dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) }]])],
    ]);
    const received = auditEntry({ direction: 'received', metadata: { messageType: 'train' }, content, bytes: 482, cachedBytes: 142_058 });
    expect(received).toMatchObject({
      bytes: 482,
      cachedBytes: 142_058,
      arrays: [{ record: 'arrays', name: 'dense/kernel', dtype: 'float32', shape: [2], bytes: 8 }],
    });
    expect(auditEntry({ direction: 'sent', metadata: { messageType: 'train' }, content, bytes: 900 })).not.toHaveProperty('cachedBytes');
  });

  it('reads a missing file as an empty log and skips a line torn by a crash', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-audit-'));
    expect(await readAuditLog(path.join(dir, 'none.jsonl'))).toEqual([]);
    const file = path.join(dir, 'torn.jsonl');
    await writeFile(file, `${JSON.stringify({ time: 't', ...entry('train') })}\n{"time":"t","direction":"se`);
    expect((await readAuditLog(file)).map((e) => e.messageType)).toEqual(['train']);
    expect(await readAuditLines(file)).toMatchObject({ entries: [{ messageType: 'train' }], unreadableLines: 1 });
  });

  it('counts every line that is not an entry, wherever it is, among the lines read', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'tributary-audit-')), 'edited.jsonl');
    const good = (i: number) => JSON.stringify({ time: `t${i}`, ...entry('train') });
    await writeFile(file, [good(0), 'not json', good(1), '42', '', good(2), '{"time":"t"}', good(3)].join('\n') + '\n');
    expect(await readAuditLines(file)).toMatchObject({ unreadableLines: 3 });
    expect((await readAuditLines(file)).entries).toHaveLength(4);
    expect(await readAuditLines(path.join(path.dirname(file), 'none.jsonl'))).toEqual({ entries: [], unreadableLines: 0 });
  });

  it('after a crash that tore the last line, a new party ends that line first, so its own first line is kept', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'tributary-audit-')), 'torn.jsonl');
    await writeFile(file, `${JSON.stringify({ time: 't', ...entry('train') })}\n{"time":"t","direction":"se`);
    await new AuditLog(file).append(entry('evaluate'));
    expect((await readAuditLog(file)).map((e) => e.messageType)).toEqual(['train', 'evaluate']);
  });

  it('reads the newest lines of a long log from its end, the same as reading it all, multi-byte text included', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'tributary-audit-')), 'long.jsonl');
    // About 1.6 MB: reads from the end go 64 KB, 128 KB, ... and their edges fall inside lines and inside characters.
    const lines = Array.from({ length: 4000 }, (_, i) =>
      JSON.stringify({ time: `t${i}`, ...entry(`train ✓ ${'é'.repeat(i % 7)}`), error: i % 3 ? null : `refusé ${i}` }),
    );
    await writeFile(file, `${lines.join('\n')}\n`);
    const all = await readAuditLog(file);
    expect(all).toHaveLength(4000);
    for (const last of [1, 37, 41, 1000, 3999, 4000, 5000])
      expect(await readAuditLog(file, { last })).toEqual(all.slice(Math.max(0, 4000 - last)));
    expect(await readAuditLog(file, { last: 0 })).toEqual([]);
  });

  it('reports a write it cannot make and carries on', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-audit-'));
    const errors: Error[] = [];
    const log = new AuditLog(dir, (error) => errors.push(error)); // a folder, not a file
    await log.append(entry('train'));
    expect(errors[0]?.message).toMatch(new RegExp(`^audit log ${dir}: cannot write: `));
  });
});
