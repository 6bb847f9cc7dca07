// Runs anywhere (the contract): the schema of a party config's `schedule:` section: the weekly time windows in which the site takes part.
import { z } from 'zod';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;

/** `HH:MM` on a 24-hour clock; `to` may also be `24:00`, the end of the day. */
const clockTime = (allowEndOfDay: boolean) =>
  z.string().refine((text) => CLOCK.test(text) || (allowEndOfDay && text === '24:00'), {
    error: (issue) => `${JSON.stringify(issue.input)} is not a time: write HH:MM on a 24-hour clock${allowEndOfDay ? ', or 24:00' : ''}`,
  });

/** A time zone Intl knows by its IANA name (Europe/Berlin), or UTC. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const ScheduleWindowSchema = z
  .strictObject({
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .default([...WEEKDAYS])
      .describe('the days a window opens on (an overnight window ends the next morning); default every day'),
    from: clockTime(false).describe('when it opens, HH:MM in the schedule time zone'),
    to: clockTime(true).describe('when it closes; earlier than `from`: the next day (an overnight window); 24:00: midnight'),
  })
  .refine((window) => window.from !== window.to, {
    error: (issue) => {
      const { from } = issue.input as { from: string };
      return `from and to are both ${from}: an empty window; for a whole day write from: "00:00", to: "24:00"`;
    },
    path: ['to'],
  });
export type ScheduleWindow = z.infer<typeof ScheduleWindowSchema>;

/** Absent: the site takes part at any time. */
export const ScheduleSectionSchema = z.strictObject({
  timezone: z
    .string()
    .refine(isTimeZone, {
      error: (issue) => `${JSON.stringify(issue.input)} is not a time zone: write an IANA name such as Europe/Berlin, or UTC`,
    })
    .optional()
    .describe("the windows' time zone, an IANA name; default: this machine's"),
  windows: z
    .array(ScheduleWindowSchema)
    .min(1, 'list at least one window; to take part at any time, leave the schedule: section out')
    .describe("when the site trains; outside every window it declines the federation's messages"),
});
export type ScheduleSection = z.infer<typeof ScheduleSectionSchema>;
