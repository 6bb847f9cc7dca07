// Tests (Node): the weekly schedule: open or not at an instant in a time zone, overnight windows, the next change, and its wording.
import { describe, expect, it } from 'vitest';
import { ScheduleSectionSchema, type ScheduleSection } from '../../common/schedule-config.js';
import { outsideScheduleReason, resolveSchedule, scheduleAt, type WeeklySchedule } from '../../common/schedule.js';

/** 2026-12-07 is a Monday. */
const at = (iso: string) => new Date(iso);
const schedule = (section: unknown): WeeklySchedule => resolveSchedule(ScheduleSectionSchema.parse(section));
const NIGHTS = schedule({ timezone: 'UTC', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '19:00', to: '07:00' }] });

describe('scheduleAt', () => {
  it('is open inside a window and closed outside, to the minute, `to` itself outside', () => {
    expect(scheduleAt(NIGHTS, at('2026-12-07T18:59:59Z')).open).toBe(false);
    expect(scheduleAt(NIGHTS, at('2026-12-07T19:00:00Z')).open).toBe(true);
    expect(scheduleAt(NIGHTS, at('2026-12-08T06:59:00Z')).open).toBe(true); // Monday's window, on Tuesday morning
    expect(scheduleAt(NIGHTS, at('2026-12-08T07:00:00Z')).open).toBe(false);
  });

  it("runs an overnight window into the next day, Sunday's into Monday, and not from a day not listed", () => {
    expect(scheduleAt(NIGHTS, at('2026-12-12T03:00:00Z')).open).toBe(true); // Saturday 03:00: Friday's night
    expect(scheduleAt(NIGHTS, at('2026-12-12T20:00:00Z')).open).toBe(false); // Saturday evening: not listed
    expect(scheduleAt(NIGHTS, at('2026-12-07T03:00:00Z')).open).toBe(false); // Monday 03:00: Sunday is not listed
    const sundays = schedule({ timezone: 'UTC', windows: [{ days: ['sun'], from: '22:00', to: '02:00' }] });
    expect(scheduleAt(sundays, at('2026-12-07T01:30:00Z')).open).toBe(true); // Monday 01:30: across the week's end
  });

  it('says when the next window opens, and when an open one closes (overlapping windows as one)', () => {
    expect(scheduleAt(NIGHTS, at('2026-12-07T12:30:30Z')).next).toEqual({ day: 'mon', time: '19:00', inMs: 6.5 * 3_600_000 - 30_000 });
    expect(scheduleAt(NIGHTS, at('2026-12-12T09:00:00Z')).next).toMatchObject({ day: 'mon', time: '19:00', inMs: 58 * 3_600_000 });
    const joined = schedule({
      timezone: 'UTC',
      windows: [
        { from: '19:00', to: '23:00' },
        { days: ['mon'], from: '22:00', to: '24:00' },
      ],
    });
    expect(scheduleAt(joined, at('2026-12-07T20:00:00Z'))).toMatchObject({ open: true, next: { day: 'tue', time: '00:00' } });
  });

  it('reads the wall clock of its time zone, whatever the instant and the machine', () => {
    // Asia/Kolkata (+05:30) and America/Phoenix (-07:00) keep no daylight saving time.
    const kolkata = schedule({ timezone: 'Asia/Kolkata', windows: [{ days: ['tue'], from: '00:00', to: '01:00' }] });
    expect(scheduleAt(kolkata, at('2026-12-07T18:45:00Z')).open).toBe(true); // Tuesday 00:15 in Kolkata
    expect(scheduleAt(kolkata, at('2026-12-07T19:30:00Z')).open).toBe(false); // 01:00 there
    const phoenix = schedule({ timezone: 'America/Phoenix', windows: [{ days: ['sun'], from: '18:00', to: '19:00' }] });
    expect(scheduleAt(phoenix, at('2026-12-07T01:30:00Z')).open).toBe(true); // Sunday 18:30 in Phoenix, Monday in UTC
    expect(outsideScheduleReason(phoenix, at('2026-12-07T03:00:00Z'))).toBe(
      "outside this site's training schedule; next window opens Sun 18:00 (America/Phoenix)",
    );
  });

  it("is never closed with a window that spans the week, and defaults to this machine's time zone", () => {
    const always = schedule({ windows: [{ from: '00:00', to: '24:00' }] });
    expect(always.timezone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(scheduleAt(always, at('2026-12-09T11:11:00Z'))).toEqual({ open: true, next: null });
    expect(outsideScheduleReason(always, at('2026-12-09T11:11:00Z'))).toBeNull();
  });
});

describe('ScheduleSectionSchema', () => {
  const problems = (section: unknown) => {
    const result = ScheduleSectionSchema.safeParse(section);
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('names the window and key at fault', () => {
    const section = {
      windows: [
        { from: '19:00', to: '07:00' },
        { days: ['sat'], from: '7:00', to: '25:00' },
      ],
    };
    expect(problems(section)).toEqual([
      'windows.1.from: "7:00" is not a time: write HH:MM on a 24-hour clock',
      'windows.1.to: "25:00" is not a time: write HH:MM on a 24-hour clock, or 24:00',
    ]);
  });

  it('refuses an unknown day or time zone, an empty window, and no windows at all', () => {
    expect(problems({ timezone: 'Mars/Olympus', windows: [{ from: '00:00', to: '01:00' }] })).toEqual([
      'timezone: "Mars/Olympus" is not a time zone: write an IANA name such as Europe/Berlin, or UTC',
    ]);
    expect(problems({ windows: [{ days: ['monday'], from: '00:00', to: '01:00' }] })[0]).toMatch(/^windows\.0\.days\.0: /);
    expect(problems({ windows: [{ from: '08:00', to: '08:00' }] })).toEqual([
      'windows.0.to: from and to are both 08:00: an empty window; for a whole day write from: "00:00", to: "24:00"',
    ]);
    expect(problems({ windows: [] })).toEqual([
      'windows: list at least one window; to take part at any time, leave the schedule: section out',
    ]);
    expect(problems({ windows: [{ from: '24:00', to: '01:00' }] })[0]).toMatch(/^windows\.0\.from: "24:00" is not a time/);
  });

  it('fills in every day', () => {
    const parsed: ScheduleSection = ScheduleSectionSchema.parse({ windows: [{ from: '19:00', to: '07:00' }] });
    expect(parsed.windows[0]!.days).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
  });
});
