// Runs anywhere (the contract): the joined party's participation schedule and resource limits, as the party status carries them.
import { z } from 'zod';
import { WEEKDAYS } from '../schedule-config.js';

const threads = z.number().int().min(1).max(64);

/** The config's `schedule:` section with its time zone settled; whether it is open now is worked out where it is shown (common/schedule.ts). */
export const ScheduleStatusSchema = z.object({
  timezone: z.string().describe("an IANA name: the config's, else the services machine's"),
  windows: z.array(z.object({ days: z.array(z.enum(WEEKDAYS)).min(1), from: z.string(), to: z.string() })).min(1),
});
export type ScheduleStatus = z.infer<typeof ScheduleStatusSchema>;

/** How much of the machine training may use: the config keys that say so, null where the config leaves it to the default. */
export const ResourceLimitsSchema = z.object({
  threads: threads.nullable().describe("training.threads: the engine's threads (wasm's, TensorFlow's compute pools); null: one per core"),
  decodeWorkers: threads.nullable().describe("data.info.workers: a built-in handler's decode threads; null: one per core"),
  cores: z.number().int().min(1).describe('the cores of the machine the services run on'),
});
export type ResourceLimits = z.infer<typeof ResourceLimitsSchema>;
