// Tests (Node): the Federation page's schedule and resource limits in words, and the window open or not at a given time.
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../../common/contract/party-api.js';
import type { ScheduleStatus } from '../../../../common/contract/schedule-api.js';
import {
  daysText,
  lastScheduleDecline,
  limitLines,
  scheduleLines,
  scheduleNow,
} from '../../../../renderer/features/federation/schedule-words.js';

const NIGHTS: ScheduleStatus = {
  timezone: 'Europe/Berlin',
  windows: [
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '19:00', to: '07:00' },
    { days: ['sun', 'sat'], from: '00:00', to: '24:00' },
  ],
};

describe('schedule words', () => {
  it('writes the days as a range, a list or every day, and an overnight window as ending the next day', () => {
    expect(daysText(['mon', 'tue', 'wed'])).toBe('Mon to Wed');
    expect(daysText(['sun', 'mon'])).toBe('Mon, Sun');
    expect(daysText(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).toBe('every day');
    expect(scheduleLines(NIGHTS)).toEqual([
      { label: 'Window 1', text: 'Mon to Fri, 19:00 to 07:00 the next day' },
      { label: 'Window 2', text: 'Sat, Sun, 00:00 to 24:00' },
    ]);
  });

  it('says when the next window opens outside one, and when it closes inside', () => {
    // 2026-12-07 is a Monday; Berlin is UTC+1 in December.
    expect(scheduleNow(NIGHTS, new Date('2026-12-07T12:00:00Z'))).toEqual({
      open: false,
      text: 'Outside the schedule: every message is declined. Next window opens Mon 19:00 (Europe/Berlin), in 6 h.',
    });
    // Friday 21:00 in Berlin: Friday's night runs into the weekend's windows, which end at midnight on Sunday.
    expect(scheduleNow(NIGHTS, new Date('2026-12-11T20:00:00Z'))).toEqual({
      open: true,
      text: 'Inside a window: rounds are served. It closes Mon 00:00 (Europe/Berlin), in 51 h; a round begun before then is finished.',
    });
    expect(scheduleNow(undefined, new Date()).open).toBe(true);
  });

  it('names the config key of each limit, or that it is left to the default', () => {
    expect(limitLines({ threads: 1, decodeWorkers: null, cores: 4 })).toEqual([
      { label: 'Engine threads', text: '1 of 4 cores (training.threads)' },
      { label: 'Decode threads', text: 'one per core (4); data.info.workers sets fewer' },
    ]);
  });

  it('finds the newest sent line declined for the schedule', () => {
    const line = (time: string, error: string | null): AuditEntry => ({
      time,
      direction: 'sent',
      messageType: 'train',
      round: 2,
      group: '2',
      messageId: 'm',
      replyTo: null,
      arrays: [],
      values: {},
      bytes: 0,
      error,
    });
    const reason = 'this site declined "train": outside this site\'s training schedule; next window opens Mon 19:00 (UTC)';
    const entries = [line('2026-12-07T10:00:00Z', reason), line('2026-12-07T11:00:00Z', reason), line('2026-12-07T12:00:00Z', null)];
    expect(lastScheduleDecline(entries)?.time).toBe('2026-12-07T11:00:00Z');
    expect(lastScheduleDecline([line('2026-12-07T12:00:00Z', 'this site declined "train": it is paused by its operator')])).toBeNull();
  });
});
