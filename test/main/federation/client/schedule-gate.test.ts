// Tests (Node): the schedule at the party's door: a round admitted inside a window goes on after it closes; nothing else does.
import { expect, it } from 'vitest';
import { ScheduleGate } from '../../../../main/federation/client/schedule-gate.js';

const schedule = { timezone: 'UTC', windows: [{ days: ['mon' as const], from: '19:00', to: '21:00' }] };
const REASON = "outside this site's training schedule; next window opens Mon 19:00 (UTC)";

it('serves the rest of a round admitted in the window, and declines another round, another run, or a message of no round', () => {
  let now = new Date('2026-12-07T20:59:00Z'); // a Monday, a minute before the close
  const gate = new ScheduleGate(schedule, () => now);
  expect(gate.declining({ runId: 1n, groupId: '3' })).toBeNull();
  now = new Date('2026-12-07T21:00:00Z');
  expect(gate.declining({ runId: 1n, groupId: '3' })).toBeNull();
  expect(gate.declining({ runId: 2n, groupId: '3' })).toBe(REASON);
  expect(gate.declining({ runId: 1n, groupId: '3' })).toBeNull(); // another run's message declined meanwhile changes nothing
  expect(gate.declining({ runId: 1n, groupId: '4' })).toBe(REASON);
  const fresh = new ScheduleGate(schedule, () => new Date('2026-12-07T20:00:00Z'));
  expect(fresh.declining({ runId: 1n, groupId: '' })).toBeNull();
  const closed = new ScheduleGate(schedule, () => new Date('2026-12-07T22:00:00Z'));
  expect(closed.declining({ runId: 1n, groupId: '4' })).toBe(REASON);
});
