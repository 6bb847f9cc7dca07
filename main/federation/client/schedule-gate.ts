// Runs in the party (plain Node): the site's participation schedule at the door: a round begun inside a window is finished, a new one outside is declined.
import { outsideScheduleReason, type WeeklySchedule } from '../../../common/schedule.js';
import type { Metadata } from '../wire/proto/record-types.js';

/**
 * A window that closes mid-round does not cut the round: the message being served finishes, and so do the rest of
 * its round (same run, same group: SecAgg+'s later stages, the round's evaluate), because a site that drops out
 * between SecAgg+ stages costs the others a round. The first message of a later round is declined.
 */
export class ScheduleGate {
  readonly schedule: WeeklySchedule;
  readonly #now: () => Date;
  #admitted: { runId: bigint; groupId: string } | undefined;

  constructor(schedule: WeeklySchedule, now: () => Date = () => new Date()) {
    this.schedule = schedule;
    this.#now = now;
  }

  /** Why `metadata`'s message is declined now, or null to serve it. */
  declining(metadata: Pick<Metadata, 'runId' | 'groupId'>): string | null {
    const admitted = this.#admitted;
    if (admitted && admitted.runId === metadata.runId && admitted.groupId === metadata.groupId && metadata.groupId !== '') return null;
    const reason = outsideScheduleReason(this.schedule, this.#now());
    if (reason === null) this.#admitted = { runId: metadata.runId, groupId: metadata.groupId };
    return reason;
  }
}
