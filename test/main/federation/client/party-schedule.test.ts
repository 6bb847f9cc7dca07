// Tests (Node, real sockets, a real training thread): a party under a participation schedule with the reference aggregator, on a set clock.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ScheduleSectionSchema } from '../../../../common/schedule-config.js';
import { readAuditLog } from '../../../../main/federation/client/audit-log.js';
import { Aggregator } from '../../../../main/federation/server/aggregator.js';
import { openRunner, startParty, type OpenedRunner } from './party-fixture.js';
import { partyAggregatorConfig } from '../server/harness.js';

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

/** Mondays 19:00 to 21:00 UTC; 2026-12-07 is a Monday. */
const SCHEDULE = ScheduleSectionSchema.parse({ timezone: 'UTC', windows: [{ days: ['mon'], from: '19:00', to: '21:00' }] });
const INSIDE = new Date('2026-12-07T20:00:00Z');
const OUTSIDE = new Date('2026-12-07T21:30:00Z');

it(
  'finishes the round its window closed in, declines the next one with the reason in the audit log, and serves again inside a window',
  { timeout: 180_000 },
  async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'tributary-schedule-agg-'));
    const config = partyAggregatorConfig(out, { rounds: 3, min_nodes: 1 });
    const aggregator = new Aggregator(config, out);
    const address = (await aggregator.start()).grpc!;
    let now = INSIDE;
    const joined = await startParty({ address, kind: 'grpc' }, opened, {
      heartbeatIntervalSec: 10,
      options: { schedule: SCHEDULE, clock: () => now },
    });
    joined.party.on('event', (event) => {
      // The window closes while round 1 trains; it opens again (a week on, as far as the party can tell) once round 2 is declined.
      if (event.type === 'training' && event.round === 1) now = OUTSIDE;
      if (event.type === 'round' && event.outcome === 'declined') now = new Date(INSIDE.getTime() + 7 * 86_400_000);
    });
    try {
      const result = await aggregator.run();
      await joined.party.leave({ finish: true });
      expect(result.records.map((record) => [record.round, record.status])).toEqual([
        [1, 'completed'],
        [2, 'failed'],
        [3, 'completed'],
      ]);
      const audit = await readAuditLog(joined.party.audit.file);
      const sent = audit.filter((entry) => entry.direction === 'sent').map((entry) => [entry.messageType, entry.group, entry.outcome]);
      expect(sent).toEqual([
        ['train', '1', 'replied'],
        ['evaluate', '1', 'replied'], // the round begun inside the window is finished
        ['train', '2', 'declined'],
        ['train', '3', 'replied'],
        ['evaluate', '3', 'replied'],
      ]);
      const reason = 'this site declined "train": outside this site\'s training schedule; next window opens Mon 19:00 (UTC)';
      const declined = audit.filter((entry) => entry.group === '2');
      expect(declined.map((entry) => [entry.direction, entry.error])).toEqual([
        ['received', reason],
        ['sent', reason],
      ]);
    } finally {
      await joined.party.leave({ finish: false });
      await aggregator.close();
    }
  },
);
