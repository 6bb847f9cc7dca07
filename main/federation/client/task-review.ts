// Runs in the party (plain Node): task review: a run's first train (or evaluate) message waits for the operator, or is approved within bounds.
import { EventEmitter } from 'node:events';
import type { ReviewSection } from '../../../common/review-config.js';
import type { TrainingSettings } from '../../engine/train/protocol.js';
import type { Metadata } from '../wire/proto/record-types.js';
import { auditEntry } from './audit-entry.js';
import type { AuditLog, ReviewAudit } from './audit-log.js';
import { DecisionsUnreadable, MAX_REASON_CHARS, ReviewDecisions, type RunDecision } from './review-decisions.js';
import type { Task } from './task.js';
import { outsideBounds, pastRounds, summariseTask, type TaskSummary } from './task-summary.js';

/** The message's run: the party declines it with the reason, as it declines what the privacy policy forbids. */
export class TaskNotApproved extends Error {
  override readonly name = 'TaskNotApproved';
}

/** A task waiting for the operator: what it asks, why it was not approved without asking, and until when it waits. */
export interface PendingTask {
  task: TaskSummary;
  /** auto_within_bounds: the bound it is outside; null in `ask` mode. */
  outside: string | null;
  /** ISO-8601, UTC. */
  since: string;
  deadline: string;
}

export interface ReviewView {
  mode: ReviewSection['mode'];
  bounds: ReviewSection['bounds'];
  pending: PendingTask | null;
  /** Newest first. */
  decisions: RunDecision[];
  /** Why the decisions file cannot be read (nothing in it counts as approved then), else null. */
  problem: string | null;
}

/** The message being served, as far as review needs it. */
export interface ReviewedMessage {
  runId: string;
  round: number | null;
  secure?: boolean;
  /** Its TTL bounds the wait; without it (a test's message) the wait is bounded by max_wait, else an hour. */
  metadata?: Metadata;
}

export interface ReviewHooks {
  audit: AuditLog;
  /** The party shows the waiting state (PartyState "reviewing"). */
  onWaiting: (pending: PendingTask) => void;
  /** Asked while waiting: the operator stopped the task in hand (left, or the node was lost). */
  stopRequested: () => boolean;
  notice: (message: string) => void;
  error: (message: string) => void;
}

type Settled = { approved: true; by: 'operator' } | { approved: false; reason: string; by: 'operator' | 'timeout' | 'cancelled' };

/** How often a waiting task looks for an answer written by another process (`tributary approve`) or a stop. */
const POLL_MS = 500;
/** Without a TTL or max_wait: an hour, the longest a round is sensibly held. */
const DEFAULT_WAIT_S = 3600;

export class TaskReview extends EventEmitter<{ changed: [] }> {
  readonly decisions: ReviewDecisions;
  #pending: { view: PendingTask; settle: (settled: Settled) => void } | null = null;

  constructor(
    readonly section: ReviewSection,
    decisionsFile: string,
    private readonly modelName: string | null,
    private readonly hooks: ReviewHooks,
  ) {
    super();
    this.decisions = new ReviewDecisions(decisionsFile);
  }

  get pending(): PendingTask | null {
    return this.#pending?.view ?? null;
  }

  /** Null to serve the message; else why this site declines it. May wait for the operator, up to the message's TTL. */
  async admit(task: Task, message: ReviewedMessage, facts: { defaults: TrainingSettings; localEpochs: number }): Promise<string | null> {
    if (this.section.mode === 'off') return null;
    const known = await this.#known(message.runId);
    if (known?.decision === 'declined') return declinedWords(known.runId, known.reason);
    if (task.kind !== 'train' && task.kind !== 'evaluate') return null;
    if (known?.decision === 'approved') return known.by === 'bounds' ? pastRounds(this.section.bounds, message.round) : null;
    const summary = summariseTask(
      task,
      { runId: message.runId, round: message.round, secure: message.secure ?? false },
      { ...facts, modelName: this.modelName },
    );
    const outside = this.section.mode === 'auto_within_bounds' ? outsideBounds(this.section.bounds, summary, task.config) : null;
    if (this.section.mode === 'auto_within_bounds' && outside === null) {
      await this.#record({
        runId: message.runId,
        decision: 'approved',
        by: 'bounds',
        reason: null,
        at: new Date().toISOString(),
        task: summary,
      });
      await this.#audit(message, { state: 'approved', by: 'bounds', reason: null });
      this.hooks.notice(`run ${message.runId} approved: its task is within this site's review bounds`);
      return null;
    }
    return this.#wait(summary, message, outside);
  }

  /** Why a message of this run is declined before its objects are pulled (the run was declined), else null. */
  async declinedRun(runId: string): Promise<string | null> {
    if (this.section.mode === 'off') return null;
    const known = await this.#known(runId);
    return known?.decision === 'declined' ? declinedWords(known.runId, known.reason) : null;
  }

  /** The operator's answer for a run (the one waiting, or any other ahead of time); remembered across restarts. */
  async decide(runId: string, approve: boolean, reason?: string): Promise<void> {
    const why = approve ? null : declineReason(reason);
    const task = this.#pending?.view.task.runId === runId ? this.#pending.view.task : ((await this.decisions.find(runId))?.task ?? null);
    await this.#record({
      runId,
      decision: approve ? 'approved' : 'declined',
      by: 'operator',
      reason: why,
      at: new Date().toISOString(),
      task,
    });
    if (this.#pending?.view.task.runId === runId)
      this.#pending.settle(
        approve ? { approved: true, by: 'operator' } : { approved: false, reason: declinedWords(runId, why!), by: 'operator' },
      );
    this.emit('changed');
  }

  /** The site is leaving or pausing: a waiting task is declined now, with this reason, and its run stays unreviewed. */
  cancel(reason: string): void {
    this.#pending?.settle({ approved: false, reason, by: 'cancelled' });
  }

  async view(): Promise<ReviewView> {
    let decisions: RunDecision[] = [];
    let problem: string | null = null;
    try {
      decisions = (await this.decisions.read()).reverse();
    } catch (error) {
      if (!(error instanceof DecisionsUnreadable)) throw error;
      problem = error.message;
    }
    return { mode: this.section.mode, bounds: this.section.bounds, pending: this.pending, decisions, problem };
  }

  async #wait(task: TaskSummary, message: ReviewedMessage, outside: string | null): Promise<string | null> {
    const since = Date.now();
    const deadline = this.#deadline(message.metadata, since);
    const view: PendingTask = { task, outside, since: new Date(since).toISOString(), deadline: new Date(deadline).toISOString() };
    const settled = new Promise<Settled>((resolve) => (this.#pending = { view, settle: resolve }));
    const poll = setInterval(() => void this.#check(message.runId), POLL_MS);
    const timer = setTimeout(() => this.#pending?.settle(this.#timedOut(since)), Math.max(0, deadline - since));
    this.hooks.onWaiting(view);
    this.hooks.notice(
      `run ${task.runId} waits for the operator's approval of its task until ${view.deadline}${outside ? ` (${outside})` : ''}`,
    );
    this.emit('changed');
    await this.#audit(message, { state: 'waiting', by: null, reason: outside, task });
    const answer = await settled.finally(() => {
      clearInterval(poll);
      clearTimeout(timer);
      this.#pending = null;
      this.emit('changed');
    });
    await this.#audit(message, answer.approved ? { state: 'approved', by: 'operator', reason: null } : { state: 'declined', ...answer });
    return answer.approved ? null : answer.reason;
  }

  /** While waiting: a decision written by another process (the CLI) settles it; so does a stop. */
  async #check(runId: string): Promise<void> {
    if (this.hooks.stopRequested()) return this.cancel('the task in hand was stopped (the site left, or lost the server)');
    const known = await this.decisions.find(runId).catch(() => undefined); // a damaged file was said when the wait began
    if (!known || this.#pending?.view.task.runId !== runId) return;
    this.#pending.settle(
      known.decision === 'approved'
        ? { approved: true, by: 'operator' }
        : { approved: false, reason: declinedWords(runId, known.reason), by: 'operator' },
    );
  }

  /** The reply must reach the server before the message expires: a few seconds (at most a tenth of its TTL) are kept for that. */
  #deadline(metadata: Metadata | undefined, now: number): number {
    const waitMax = now + (this.section.max_wait ?? DEFAULT_WAIT_S) * 1000;
    if (!metadata) return waitMax;
    const expires = (metadata.createdAt + metadata.ttl) * 1000;
    return Math.min(waitMax, expires - Math.min(5_000, metadata.ttl * 100));
  }

  #timedOut(since: number): Settled {
    const waited = Math.round((Date.now() - since) / 1000);
    return { approved: false, reason: `not approved in time (waited ${waited} s for the operator)`, by: 'timeout' };
  }

  /** The run's decision; an unreadable file counts as none (so nothing is approved by it), and is said. */
  async #known(runId: string): Promise<RunDecision | undefined> {
    try {
      return await this.decisions.find(runId);
    } catch (error) {
      if (!(error instanceof DecisionsUnreadable)) throw error;
      this.hooks.error(`${error.message}; runs are reviewed as if never decided`);
      return undefined;
    }
  }

  async #record(decision: RunDecision): Promise<void> {
    await this.decisions.record(decision);
    this.emit('changed');
  }

  async #audit(message: ReviewedMessage, review: ReviewAudit): Promise<void> {
    const metadata = message.metadata ?? { runId: BigInt(message.runId) };
    await this.hooks.audit.append(auditEntry({ direction: 'received', metadata, bytes: 0, review }));
  }
}

function declinedWords(runId: string, reason: string | null): string {
  return `run ${runId} was declined by this site's operator: ${reason ?? "declined by this site's operator"}`;
}

/** One line, bounded: it goes into the error reply the server reads, and the audit log. */
function declineReason(reason: string | undefined): string {
  const line = (reason ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_REASON_CHARS);
  return line || "declined by this site's operator";
}
