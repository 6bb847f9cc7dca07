// Runs in the CLI (plain Node): the line `tributary party` prints about the site's participation schedule when it joins.
import { scheduleAt, wallTimeText, type WeeklySchedule } from '../../common/schedule.js';

export function scheduleLine(schedule: WeeklySchedule, now: Date): string {
  const { open, next } = scheduleAt(schedule, now);
  const head = `schedule in force (schedule:, ${schedule.windows.length} window${schedule.windows.length === 1 ? '' : 's'})`;
  if (!next) return `${head}: its windows cover the whole week`;
  const when = wallTimeText(next, schedule.timezone);
  return open
    ? `${head}: inside a window until ${when}`
    : `${head}: outside its windows now, so work is declined until the next opens ${when}`;
}
