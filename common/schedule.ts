// Runs anywhere (the party and the renderer): whether a site's weekly schedule is open at an instant, and when it opens or closes next.
// Written here rather than taken from a cron library: the question is "inside which weekly window, in which IANA zone", which
// a week of minutes answers exactly with Intl alone, and the renderer (no node:*) needs the same answer as the party.
import { WEEKDAYS, type ScheduleSection, type ScheduleWindow, type Weekday } from './schedule-config.js';

const DAY = 24 * 60;
const WEEK = 7 * DAY;

/** A schedule with its time zone settled: the config's, else this machine's. */
export interface WeeklySchedule {
  timezone: string;
  windows: ScheduleWindow[];
}

/** A moment on the site's wall clock: a weekday and HH:MM. */
export interface WallTime {
  day: Weekday;
  time: string;
}

export interface ScheduleMoment {
  open: boolean;
  /**
   * When `open` flips next (the window closes, or the next one opens), and in how many ms; null: it never does (open
   * all week). `inMs` counts wall-clock minutes, so across a daylight-saving change it is off by the shift.
   */
  next: (WallTime & { inMs: number }) | null;
}

export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function resolveSchedule(section: ScheduleSection): WeeklySchedule {
  return { timezone: section.timezone ?? machineTimeZone(), windows: section.windows };
}

/** Is the schedule open at `now`, and when does that change. Wall-clock times: a DST shift moves a window with the clock. */
export function scheduleAt(schedule: WeeklySchedule, now: Date): ScheduleMoment {
  const minutes = openMinutes(schedule.windows);
  const current = minuteOfWeek(now, schedule.timezone);
  const open = minutes[current] === 1;
  for (let ahead = 1; ahead <= WEEK; ahead++) {
    const minute = (current + ahead) % WEEK;
    if ((minutes[minute] === 1) === open) continue;
    const intoMinute = now.getTime() % 60_000;
    return { open, next: { ...wallTime(minute), inMs: ahead * 60_000 - intoMinute } };
  }
  return { open, next: null };
}

/** `Mon 19:00 (Europe/Berlin)`. */
export function wallTimeText({ day, time }: WallTime, timezone: string): string {
  return `${day[0]!.toUpperCase()}${day.slice(1)} ${time} (${timezone})`;
}

/** Why a message is declined now, or null inside a window. */
export function outsideScheduleReason(schedule: WeeklySchedule, now: Date): string | null {
  const { open, next } = scheduleAt(schedule, now);
  if (open) return null;
  // A schedule has at least one window, so a closed one always opens again.
  return `outside this site's training schedule; next window opens ${wallTimeText(next!, schedule.timezone)}`;
}

/** One flag per minute of the week (Monday 00:00 first): a window's minutes from `from` up to, not including, `to`. */
function openMinutes(windows: readonly ScheduleWindow[]): Uint8Array {
  const minutes = new Uint8Array(WEEK);
  for (const window of windows) {
    const from = clockMinutes(window.from);
    const to = clockMinutes(window.to);
    const length = to > from ? to - from : to + DAY - from;
    for (const day of window.days) {
      const start = WEEKDAYS.indexOf(day) * DAY + from;
      for (let m = start; m < start + length; m++) minutes[m % WEEK] = 1;
    }
  }
  return minutes;
}

function clockMinutes(text: string): number {
  const [hours, minutes] = text.split(':').map(Number);
  return hours! * 60 + minutes!;
}

function wallTime(minuteOfWeek: number): WallTime {
  const inDay = minuteOfWeek % DAY;
  const pad = (n: number) => String(n).padStart(2, '0');
  return { day: WEEKDAYS[Math.floor(minuteOfWeek / DAY)]!, time: `${pad(Math.floor(inDay / 60))}:${pad(inDay % 60)}` };
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The minute of the week (Monday 00:00 is 0) that `now` reads on a wall clock in `timezone`. */
function minuteOfWeek(now: Date, timezone: string): number {
  let format = formats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(now).map((part) => [part.type, part.value]));
  const day = WEEKDAYS.indexOf(String(parts.weekday).toLowerCase() as Weekday);
  return day * DAY + Number(parts.hour) * 60 + Number(parts.minute);
}
