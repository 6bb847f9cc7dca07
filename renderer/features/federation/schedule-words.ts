// Runs in the renderer: the site's participation schedule and resource limits in words, and whether a window is open now.
import type { AuditEntry } from '../../../common/contract/party-api.js';
import type { ResourceLimits, ScheduleStatus } from '../../../common/contract/schedule-api.js';
import { WEEKDAYS, type Weekday } from '../../../common/schedule-config.js';
import { scheduleAt, wallTimeText } from '../../../common/schedule.js';
import { formatDuration } from '../../lib/format.js';

export interface ScheduleLine {
  label: string;
  text: string;
}

export interface ScheduleNow {
  open: boolean;
  text: string;
}

/** The words the party writes when it declines a message for its schedule (common/schedule.ts). */
const OUTSIDE = "outside this site's training schedule";

const dayName = (day: Weekday) => `${day[0]!.toUpperCase()}${day.slice(1)}`;

/** `every day`, `Mon to Fri`, `Sat, Sun`: a run of three or more days reads as a range. */
export function daysText(days: readonly Weekday[]): string {
  const sorted = WEEKDAYS.filter((day) => days.includes(day));
  if (sorted.length === 7) return 'every day';
  const indices = sorted.map((day) => WEEKDAYS.indexOf(day));
  const consecutive = indices.every((index, i) => i === 0 || index === indices[i - 1]! + 1);
  if (consecutive && sorted.length >= 3) return `${dayName(sorted[0]!)} to ${dayName(sorted.at(-1)!)}`;
  return sorted.map(dayName).join(', ');
}

export function scheduleLines(schedule: ScheduleStatus): ScheduleLine[] {
  return schedule.windows.map((window, i) => ({
    label: schedule.windows.length === 1 ? 'Window' : `Window ${i + 1}`,
    text: `${daysText(window.days)}, ${window.from} to ${window.to}${window.to <= window.from ? ' the next day' : ''}`,
  }));
}

/** Where the schedule stands at `now`; absent, the site takes part at any time. */
export function scheduleNow(schedule: ScheduleStatus | undefined, now: Date): ScheduleNow {
  if (!schedule) return { open: true, text: 'No schedule: this site takes part at any time.' };
  const { open, next } = scheduleAt(schedule, now);
  if (!next) return { open, text: 'The windows cover the whole week: this site takes part at any time.' };
  const when = `${wallTimeText(next, schedule.timezone)}, in ${formatDuration(next.inMs / 1000)}`;
  return open
    ? { open, text: `Inside a window: rounds are served. It closes ${when}; a round begun before then is finished.` }
    : { open, text: `Outside the schedule: every message is declined. Next window opens ${when}.` };
}

export function limitLines(limits: ResourceLimits): ScheduleLine[] {
  const of = (count: number) => `${count} of ${limits.cores} core${limits.cores === 1 ? '' : 's'}`;
  return [
    {
      label: 'Engine threads',
      text:
        limits.threads === null
          ? `one per core (${limits.cores}); training.threads sets fewer`
          : `${of(limits.threads)} (training.threads)`,
    },
    {
      label: 'Decode threads',
      text:
        limits.decodeWorkers === null
          ? `one per core (${limits.cores}); data.info.workers sets fewer`
          : `${of(limits.decodeWorkers)} (data.info.workers)`,
    },
  ];
}

/** The newest audit line that declined a message for the schedule, with its reason: what the server was told. */
export function lastScheduleDecline(entries: readonly AuditEntry[]): AuditEntry | null {
  return entries.findLast((entry) => entry.direction === 'sent' && entry.error?.includes(OUTSIDE) === true) ?? null;
}
