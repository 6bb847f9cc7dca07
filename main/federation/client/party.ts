// Runs in the party (plain Node): the party: joins a Flower federation as a node, serves its rounds with the training thread,
// and takes the operator's controls.
import { EventEmitter } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FederationSection } from '../../../common/federation-config.js';
import { PrivacySectionSchema, type PrivacySection } from '../../../common/privacy-config.js';
import type { ReviewSection } from '../../../common/review-config.js';
import type { ScheduleSection } from '../../../common/schedule-config.js';
import { resolveSchedule } from '../../../common/schedule.js';
import type { EvaluateResult } from '../../engine/train/evaluator.js';
import type { TrainingSettings } from '../../engine/train/protocol.js';
import type { RandomSource } from '../privacy/noise.js';
import { SitePrivacy } from '../privacy/site-privacy.js';
import { createTransport } from '../transport/create-transport.js';
import type { FleetTransport, TransportOptions } from '../transport/fleet-transport.js';
import {
  loadOrCreateNodeIdentity,
  loadOrCreateNodeIdentityFrom,
  type NodeIdentity,
  type NodeKeySource,
} from '../transport/node-identity.js';
import { AuditLog, readAuditLog, type AuditEntry, type ReadAuditOptions } from './audit-log.js';
import { EpochLog } from './epoch-log.js';
import { EvaluationLog, localEvaluation } from './evaluation-log.js';
import { FleetClient } from './fleet-client.js';
import { InHandFile } from './in-hand.js';
import { inboundLimits } from './inbound-limits.js';
import { PartyControls } from './party-controls.js';
import type { PartyEvent, PartyEvents, PartyState, ServedRun } from './party-events.js';
import { runParty } from './party-loop.js';
import { decisionsFileOf } from './review-decisions.js';
import { RunWatch } from './run-watch.js';
import { TaskReview } from './task-review.js';
import { ScheduleGate } from './schedule-gate.js';
import type { WorkContext, WorkRunner } from './work.js';

export interface PartyOptions {
  section: FederationSection;
  /** The config file's folder: key_file, root_ca and audit_log resolve against it. */
  baseDir: string;
  /** An opened training thread (a TrainingRunner). */
  runner: WorkRunner;
  /** The model's own learning rate and batch size (TrainingRunner.open's `info.settings`), for rounds that set neither. */
  settings: TrainingSettings;
  /** After leave({ finish: false }): how long the last reply and the goodbye may take before the party stops waiting. */
  abortGraceMs?: number;
  /** How long a leaving party stays online after its last reply so the server can read it; default 6 s (Flower's ServerApp asks every 3 s). */
  replyReadMs?: number;
  /** How the Fleet transport is opened; default: gRPC or REST as the section says. */
  openTransport?: (options: TransportOptions) => Promise<FleetTransport>;
  /**
   * Where the node key is kept instead of the section's key_file (the desktop app: sealed by the OS keychain). Then
   * no key file is read, written or deleted, and the note of the message in hand is `<audit_log>.in-hand.json`.
   */
  nodeKey?: NodeKeySource;
  /** The config's `privacy:` section; absent, no policy (a server's clipping_norm is still honoured). */
  privacy?: PrivacySection;
  /** The local-DP noise's randomness: the OS CSPRNG unless a test needs it repeatable. */
  privacyRandom?: RandomSource;
  /** The config's `review:` section; absent (or `mode: off`), every run is served without review. */
  review?: ReviewSection;
  /** The site's model, named in the task the operator reviews. */
  modelName?: string;
  /** The config's `schedule:` section; absent, the site takes part at any time. */
  schedule?: ScheduleSection;
  /** The schedule's clock; a test sets the time instead of waiting for it. */
  clock?: () => Date;
}

/** One site in one federation. Every state change and problem is an 'event'; nothing the server sends makes it throw. */
export class Party extends EventEmitter<PartyEvents> {
  readonly audit: AuditLog;
  /** Beside the audit log: the epochs of every round trained, which never leave the site. */
  readonly epochLog: EpochLog;
  /** Beside the audit log: each global model's confusion matrix on the test split, which never leaves the site. */
  readonly evaluationLog: EvaluationLog;
  /** The site's privacy policy in force; its ledger, `<audit_log>.privacy.json`, counts the budget spent per run. */
  readonly privacy: SitePrivacy;
  /** Task review, when the config asks for it; its decisions file is `<audit_log>.review.json`. */
  readonly review: TaskReview | undefined;
  /** The participation schedule in force (time zone settled), undefined: any time. */
  readonly schedule: ScheduleGate | undefined;
  readonly #options: PartyOptions;
  #state: PartyState = { type: 'disconnected', reason: null };
  #identity: NodeIdentity | undefined;
  #controls = new PartyControls();
  readonly #runs = new RunWatch((event) => this.#emit(event));
  #loop: Promise<void> | undefined;

  constructor(options: PartyOptions) {
    super();
    this.#options = options;
    this.audit = new AuditLog(path.resolve(options.baseDir, options.section.audit_log), (error) =>
      this.#emit({ type: 'error', message: error.message }),
    );
    this.epochLog = new EpochLog(this.audit.file, (message) => this.#emit({ type: 'error', message }));
    this.evaluationLog = new EvaluationLog(this.audit.file, (message) => this.#emit({ type: 'error', message }));
    const policy = options.privacy ?? PrivacySectionSchema.parse({});
    this.privacy = new SitePrivacy(policy, `${this.audit.file}.privacy.json`, options.privacyRandom);
    this.review = options.review && options.review.mode !== 'off' ? this.#taskReview(options.review) : undefined;
    this.schedule = options.schedule && new ScheduleGate(resolveSchedule(options.schedule), options.clock);
  }

  get state(): PartyState {
    return this.#state;
  }

  /** The federation run this party served last (a restarted aggregator starts a new one), null before its first message. */
  get run(): ServedRun | null {
    return this.#runs.run;
  }

  /** The node key's fingerprint once join() has loaded it: what the federation's coordinator compares. */
  get fingerprint(): string | null {
    return this.#identity?.fingerprint ?? null;
  }

  /**
   * Where the message being served is noted until its reply is sent: `<key_file>.in-hand.json`, beside the key whose
   * node it belongs to. With a key source there is no key file, so it is `<audit_log>.in-hand.json`, beside the
   * party's other file of its own: a path that stays put from one start to the next.
   */
  get inHandFile(): string {
    return this.#options.nodeKey ? `${this.audit.file}.in-hand.json` : `${this.#keyFile()}.in-hand.json`;
  }

  /** Loads (or creates) the node key and opens the transport, then connects in the background; rejects only for a local problem (key, CA file, address). */
  async join(): Promise<void> {
    if (this.#loop) return;
    const { section, baseDir, runner, openTransport = createTransport } = this.#options;
    const slots = (await runner.getWeights()).map(({ name, shape }) => ({ name, shape }));
    const limits = inboundLimits(slots, section.max_message_mb * 2 ** 20);
    const identity = (this.#identity = await this.#loadIdentity());
    const inHand = await this.#openInHand();
    const security = section.insecure
      ? { insecure: true }
      : section.root_ca
        ? { rootCertificatesFile: path.resolve(baseDir, section.root_ca), pinnedCaSha256: section.ca_sha256 }
        : { pinnedCaSha256: section.ca_sha256 };
    const target = section.transport === 'grpc' ? { kind: 'grpc' as const, identity } : { kind: 'rest' as const };
    const transport = await openTransport({ ...target, address: section.server, ...security, maxAnswerBytes: limits.largestAnswerBytes });
    const client = new FleetClient(transport, { answerBytes: limits.answerBytes });
    const controls = new PartyControls();
    controls.paused = this.#controls.paused; // a pause set before joining holds
    controls.schedule = this.schedule;
    this.#controls = controls;
    this.#loop = runParty({
      client,
      identity,
      section,
      controls,
      audit: this.audit,
      inHand,
      work: this.#workContext(slots),
      runs: this.#runs,
      messageLimits: limits.message,
      replyReadMs: this.#options.replyReadMs ?? 6_000,
      setState: (state) => this.#setState(state),
      setIdle: (nodeId) => this.#setIdle(nodeId),
      emit: (event) => this.#emit(event),
      stopWork: () => this.#stopWork(),
      retireKey: () => this.#retireKey(),
    }).finally(async () => {
      client.close();
      await Promise.all([this.epochLog.flushed(), this.evaluationLog.flushed()]);
      this.#loop = undefined;
    });
  }

  /** Stays connected and answers every message with a "declined" error reply, so rounds go on without this site; a task in hand finishes first. */
  pause(): void {
    this.#controls.paused = true;
    this.review?.cancel('it was paused by its operator');
    if (this.#state.type === 'idle') this.#setState({ type: 'paused', nodeId: this.#state.nodeId });
  }

  resume(): void {
    this.#controls.paused = false;
    if (this.#state.type === 'paused') this.#setState({ type: 'idle', nodeId: this.#state.nodeId });
  }

  /**
   * finish: the task in hand completes and its reply is sent; otherwise training stops within a batch and an error
   * reply says so. Then DeactivateNode and UnregisterNode. A second call may turn a finishing leave into an abort.
   */
  async leave(options: { finish: boolean }): Promise<void> {
    const controls = this.#controls;
    if (!this.#loop) return;
    const finish = options.finish && controls.leave?.finish !== false;
    controls.leave = { finish };
    this.review?.cancel('it is leaving the federation');
    if (!finish) {
      if (controls.working) this.#stopWork();
      setTimeout(() => controls.hard.abort(new Error('left without waiting any longer')), this.#options.abortGraceMs ?? 10_000).unref();
    }
    if (!controls.working) controls.session?.abort(new Error('leaving'));
    controls.wake();
    await this.#loop;
  }

  /** Resolves once the party has left (it serves until leave() is called). */
  async left(): Promise<void> {
    await this.#loop;
  }

  /** The audit log, oldest first (`last`: only the newest n), for the UI's table. */
  readAudit(options?: ReadAuditOptions): Promise<AuditEntry[]> {
    return readAuditLog(this.audit.file, options);
  }

  #workContext(slots: WorkContext['slots']): WorkContext {
    return {
      runner: this.#options.runner,
      slots,
      defaults: this.#options.settings,
      section: this.#options.section,
      stopRequested: () => this.#controls.stopRequested,
      onTraining: (progress) => this.#setState({ type: 'training', runId: this.#runs.run?.runId ?? null, ...progress }),
      onEpoch: (done) => {
        const epoch = { runId: this.#runs.run?.runId ?? null, ...done };
        void this.epochLog.append(epoch);
        this.#emit({ type: 'epoch', ...epoch });
      },
      onEvaluating: (round) => this.#setState({ type: 'evaluating', round }),
      onEvaluated: (round, result) => this.#evaluated(round, result),
      notice: (message) => this.#emit({ type: 'notice', message }),
      privacy: this.privacy,
      ...(this.review && { review: this.review }),
    };
  }

  #taskReview(section: ReviewSection): TaskReview {
    return new TaskReview(section, decisionsFileOf(this.audit.file), this.#options.modelName ?? null, {
      audit: this.audit,
      onWaiting: ({ task, deadline }) => this.#setState({ type: 'reviewing', runId: task.runId, round: task.round, deadline }),
      stopRequested: () => this.#controls.stopRequested,
      notice: (message) => this.#emit({ type: 'notice', message }),
      error: (message) => this.#emit({ type: 'error', message }),
    });
  }

  #evaluated(round: number | null, result: EvaluateResult): void {
    const runId = this.#runs.run?.runId;
    if (runId === undefined) return; // a message's run is known before it is served: there is always one
    const evaluation = localEvaluation(runId, round, result);
    if (evaluation === null) {
      this.#emit({
        type: 'notice',
        message: `per-class results not kept: ${result.perClass.length} classes is more than a confusion matrix is kept for`,
      });
      return;
    }
    void this.evaluationLog.append(evaluation);
    this.#emit({ type: 'evaluation', ...evaluation });
  }

  #keyFile(): string {
    return path.resolve(this.#options.baseDir, this.#options.section.key_file);
  }

  #loadIdentity(): Promise<NodeIdentity> {
    const source = this.#options.nodeKey;
    return source ? loadOrCreateNodeIdentityFrom(source) : loadOrCreateNodeIdentity(this.#keyFile());
  }

  /** Its folder is made here, as the key file's is: the note may be written before the audit log's first line. */
  async #openInHand(): Promise<InHandFile> {
    await mkdir(path.dirname(this.inHandFile), { recursive: true });
    return new InHandFile(this.inHandFile, (error) => this.#emit({ type: 'error', message: error.message }));
  }

  /**
   * Flower's SuperLink keeps an unregistered node's key bound to it and refuses it for good (RegisterNode: "Public key
   * already in use"; ActivateNode: "No SuperNode found"). A party that left is no longer that node, so its key goes:
   * the next join makes a new one. A party that stops without leaving (killed, restarted) keeps its key and its node.
   */
  async #retireKey(): Promise<void> {
    const source = this.#options.nodeKey;
    const where = source?.label ?? this.#keyFile();
    const retire = source ? () => source.retire() : () => rm(where, { force: true });
    await retire().catch((error: unknown) =>
      this.#emit({ type: 'error', message: `cannot remove the retired node key from ${where}: ${(error as Error).message}` }),
    );
    this.#emit({
      type: 'notice',
      message:
        `node key ${this.#identity?.fingerprint} retired with its node (the server never takes an unregistered key back); ` +
        'the next join creates a new one',
    });
  }

  #stopWork(): void {
    this.#controls.stopRequested = true;
    this.#options.runner.stop().catch(() => {}); // a runner that is gone has nothing to stop
  }

  #setIdle(nodeId: bigint): void {
    this.#runs.reached();
    this.#setState({ type: this.#controls.paused ? 'paused' : 'idle', nodeId: String(nodeId) });
  }

  #setState(state: PartyState): void {
    const same = state.type === this.#state.type && state.type !== 'training' && JSON.stringify(state) === JSON.stringify(this.#state);
    if (same) return;
    this.#state = state;
    this.#emit(state);
  }

  #emit(event: PartyEvent): void {
    if (event.type === 'round') this.#runs.served(event);
    this.emit('event', event);
  }
}
