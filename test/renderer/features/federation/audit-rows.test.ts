// Tests (Node): audit log entries as table rows: newest first, arrays summed up, values listed, detail kept.
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../../common/contract/party-api.js';
import { auditRows } from '../../../../renderer/features/federation/audit-rows.js';

const entry = (overrides: Partial<AuditEntry>): AuditEntry => ({
  time: '2026-01-01T00:00:00.000Z',
  direction: 'received',
  messageType: 'train',
  round: 3,
  group: '3',
  messageId: 'm1',
  replyTo: null,
  arrays: [],
  values: {},
  bytes: 0,
  error: null,
  ...overrides,
});

describe('auditRows', () => {
  it('lists the newest first, with arrays counted and described and values shown', () => {
    const arrays = [
      { record: 'arrays', name: 'dense/kernel', dtype: 'float32', shape: [784, 128], bytes: 401_408 },
      { record: 'arrays', name: 'dense/bias', dtype: 'float32', shape: [128], bytes: 512 },
    ];
    const rows = auditRows([
      entry({ arrays, bytes: 401_920, values: { 'config.server-round': 3, 'config.lr': 0.01 } }),
      entry({ direction: 'sent', messageId: 'm2', arrays, values: { 'metrics.train_loss': 0.53421, 'metrics.num-examples': 1000 } }),
    ]);
    expect(rows.map((row) => row.direction)).toEqual(['sent', 'received']);
    expect(rows[1]).toMatchObject({
      messageType: 'train',
      round: '3',
      arrays: '2 (100,480 values)',
      bytes: '402 kB',
      values: 'config.server-round 3, config.lr 0.01',
    });
    expect(rows[1]!.arraysDetail).toBe('arrays/dense/kernel: float32 [784×128], 401 kB\narrays/dense/bias: float32 [128], 512 B');
    expect(rows[0]!.values).toBe('train_loss 0.534, num-examples 1,000');
  });

  it('shows what the object cache saved beside the bytes that crossed, with a tooltip saying which is which', () => {
    const [sent, noneHeld, held] = auditRows([
      entry({ bytes: 482, cachedBytes: 142_058 }),
      entry({ bytes: 285_305, cachedBytes: 0 }),
      entry({ direction: 'sent', bytes: 90_000 }),
    ]).map((row) => [row.bytes, row.bytesDetail]); // newest first
    expect(sent).toEqual(['90 kB', '']);
    expect(noneHeld).toEqual(['285 kB', '']);
    expect(held![0]).toBe('482 B (+142 kB reused)');
    expect(held![1]).toMatch(/^482 B downloaded\. 142 kB of this message .* already held from the message before/);
  });

  it('shows a message without arrays or round, and a long list of values cut short with the rest in the detail', () => {
    const values = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k, i) => [`config.${k}`, i]));
    const [row] = auditRows([entry({ round: null, messageType: '', values, error: 'declined' })]);
    expect(row).toMatchObject({
      round: '—',
      messageType: '?',
      arrays: 'none',
      error: 'declined',
      values: 'config.a 0, config.b 1, config.c 2, config.d 3, +2 more',
    });
    expect(row!.valuesDetail.split('\n')).toHaveLength(6);
  });
});
