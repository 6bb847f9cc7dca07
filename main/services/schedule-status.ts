// Runs in the services process (plain Node): the joined party's schedule and resource limits, as the contract carries them.
import { availableParallelism } from 'node:os';
import type { ResourceLimits, ScheduleStatus } from '../../common/contract/schedule-api.js';
import type { PartyConfig } from '../../common/party-config.js';
import type { WeeklySchedule } from '../../common/schedule.js';

export function scheduleStatus({ timezone, windows }: WeeklySchedule): ScheduleStatus {
  return { timezone, windows: windows.map(({ days, from, to }) => ({ days, from, to })) };
}

/** `data.info` is the handler's own: `workers` is the built-ins' key for decode threads, and a custom handler's is read only when it is a count. */
export function resourceLimits(config: PartyConfig): ResourceLimits {
  const workers = (config.data.info as { workers?: unknown } | undefined)?.workers;
  const decodeWorkers = typeof workers === 'number' && Number.isInteger(workers) && workers >= 1 && workers <= 64 ? workers : null;
  return { threads: config.training.threads ?? null, decodeWorkers, cores: availableParallelism() };
}
