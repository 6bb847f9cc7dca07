// Tests (Node): the line `tributary party` prints about the schedule: inside a window until when, or outside until when.
import { expect, it } from 'vitest';
import { scheduleLine } from '../../../main/cli/schedule-line.js';

const schedule = { timezone: 'UTC', windows: [{ days: ['mon' as const], from: '19:00', to: '21:00' }] };

it('says whether the site is inside a window now, and until when', () => {
  // 2026-12-07 is a Monday.
  expect(scheduleLine(schedule, new Date('2026-12-07T20:00:00Z'))).toBe(
    'schedule in force (schedule:, 1 window): inside a window until Mon 21:00 (UTC)',
  );
  expect(scheduleLine(schedule, new Date('2026-12-07T22:00:00Z'))).toBe(
    'schedule in force (schedule:, 1 window): outside its windows now, so work is declined until the next opens Mon 19:00 (UTC)',
  );
});
