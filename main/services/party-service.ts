// Runs in the services process (plain Node): the party methods: at most one training thread and one party, joined, paused, resumed and left.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArgsOf, ResultIn } from '../../common/contract/contract.js';
import type { PartyStage, PartyState, PartyStatus } from '../../common/contract/party-api.js';
import type { ResourceLimits } from '../../common/contract/schedule-api.js';
import type { FederationSection } from '../../common/federation-config.js';
import { loadPartyConfig } from '../config/party-config.js';
import type { PartyOptions } from '../federation/client/party.js';
import type { TaskReview } from '../federation/client/task-review.js';
import type { EventBus } from './event-bus.js';
import { exportEvaluation } from './evaluation-export.js';
import { sealedNodeKey } from './node-key-storage.js';
import { readAuditEntries } from './party-audit.js';
import { DEFAULT_DEPS } from './party-deps.js';
import type { PartyServiceDeps, ServiceParty, ServiceRunner } from './party-deps.js';
import { PartyHistory } from './party-history.js';
import { readHistory } from './party-history-files.js';
import { loadJoinableConfig } from './party-joining.js';
import { PartyRelay } from './party-relay.js';
import { contractState, joinedFacts, NO_FACTS } from './party-status.js';
import { privacyStatus } from './privacy-status.js';
import type { JoinedFacts } from './party-status.js';
import { resourceLimits, scheduleStatus } from './schedule-status.js';
import { ServiceError } from './service-errors.js';

interface Session {
  runner: ServiceRunner;
  party: ServiceParty;
  facts: JoinedFacts;
  limits: ResourceLimits;
  /** Rebuilt from disk at the join, then added to as rounds and epochs happen. */
  history: PartyHistory;
  /** Resolves once the party has left (or stopped) and its training thread is closed. */
  ended: Promise<void>;
}

const LEFT: PartyState = { type: 'disconnected', reason: null };

/**
 * One party at a time: a site is one node of one federation. The party's own problems (a lost connection, a bad
 * message, a failed round) arrive as party.error events and it carries on; the service survives the rest too (a
 * training thread that dies, a party loop that ends on its own) by leaving and going back to `out`.
 */
export class PartyService {
  readonly #events: EventBus;
  readonly #deps: PartyServiceDeps;
  #stage: PartyStage = 'out';
  #session: Session | undefined;
  #joining: Promise<void> | undefined;
  #file: string | null = null;
  #lastState: PartyState = LEFT;
  #lastRun: PartyStatus['run'] = null;
  #lastAuditLog: string | null = null;
  #pauseRequested = false;
  #leaving: { finish: boolean } | null = null;
  #closing = false;
  readonly #openedConfig: () => string | null;
  readonly #watchReview: (review: TaskReview) => void;

  /**
   * `openedConfig`: the config open in the UI (else the one the services started with), read when a call names none and no party joined.
   * `watchReview`: told of each joined party's task review, so its changes reach the UI.
   */
  constructor(
    events: EventBus,
    deps: Partial<PartyServiceDeps> = {},
    openedConfig: () => string | null = () => null,
    watchReview: (review: TaskReview) => void = () => {},
  ) {
    this.#events = events;
    this.#deps = { ...DEFAULT_DEPS, ...deps };
    this.#openedConfig = openedConfig;
    this.#watchReview = watchReview;
  }

  /** The joined party's task review: undefined when its config has review off, null when no party is joined. */
  get review(): TaskReview | undefined | null {
    return this.#session ? this.#session.party.review : null;
  }

  join = async ({ file }: ArgsOf<'party.join'>): Promise<ResultIn<'party.join'>> => {
    this.#refuseJoin();
    const absolute = path.resolve(file);
    this.#stage = 'joining';
    this.#file = absolute;
    this.#pauseRequested = false;
    this.#announce();
    const joining = this.#open(absolute);
    this.#joining = joining;
    try {
      await joining;
    } catch (error) {
      this.#stage = 'out';
      throw error;
    } finally {
      this.#joining = undefined;
      this.#announce();
    }
    return this.status();
  };

  pause = async (): Promise<ResultIn<'party.pause'>> => {
    this.#joinedSession('pause').party.pause();
    this.#pauseRequested = true;
    this.#announce();
    return this.status();
  };

  resume = async (): Promise<ResultIn<'party.resume'>> => {
    this.#joinedSession('resume').party.resume();
    this.#pauseRequested = false;
    this.#announce();
    return this.status();
  };

  /** Resolves once the party has left; a second call with finish: false turns a finishing leave into an abort. */
  leave = async ({ finish }: ArgsOf<'party.leave'>): Promise<ResultIn<'party.leave'>> => {
    if (this.#stage === 'joining') throw new ServiceError('failed', 'still joining: leave once the party has joined');
    const session = this.#session;
    if (session) await this.#leave(session, finish);
    return this.status();
  };

  status = async (): Promise<ResultIn<'party.status'>> => this.#status();

  /** The config whose federation the party is in (joining, joined or leaving), null when out: its node key is in use. */
  get federationFile(): string | null {
    return this.#stage === 'out' ? null : this.#file;
  }

  /** While joined, the party's own (the events and this answer come in order); otherwise what is on disk now. */
  history = async ({ file, runId }: ArgsOf<'party.history'>): Promise<ResultIn<'party.history'>> => {
    const session = this.#session;
    if (session && (file === undefined || path.resolve(file) === session.facts.file)) return session.history.answer(runId);
    const auditLog = await this.#auditLog(file);
    return (auditLog === null ? new PartyHistory() : await readHistory(auditLog)).answer(runId);
  };

  /** The figures come from the history the page shows, so an export matches what the operator saw. */
  exportEvaluation = async (args: ArgsOf<'party.exportEvaluation'>): Promise<ResultIn<'party.exportEvaluation'>> => {
    const { run } = await this.history({ file: args.file, runId: args.runId });
    return exportEvaluation(run?.evaluations ?? [], args);
  };

  audit = async ({ file, last }: ArgsOf<'party.audit'>): Promise<ResultIn<'party.audit'>> => {
    const auditLog = await this.#auditLog(file);
    return { auditLog, ...(auditLog === null ? { entries: [], unreadableLines: 0 } : await readAuditEntries(auditLog, last)) };
  };

  /**
   * The audit log of `file`'s federation; without one, the joined party's, else the last joined, else the open
   * config's: a page opened cold shows what the site did before, joined this session or not.
   */
  async #auditLog(file: string | undefined): Promise<string | null> {
    if (file !== undefined) return auditLogOf(file);
    const known = this.#session?.facts.auditLog ?? this.#lastAuditLog;
    if (known !== null) return known;
    const opened = this.#openedConfig();
    // Not the caller's choice: an open config that does not load (yet) has no log to show, and the Dataset page says why.
    return opened === null ? null : auditLogOf(opened).catch(() => null);
  }

  /** The services are stopping: leave without finishing the task in hand, within a grace period, then close the thread. */
  close = async (): Promise<void> => {
    this.#closing = true;
    await this.#joining?.catch(() => undefined);
    const session = this.#session;
    if (!session) return;
    await Promise.race([this.#leave(session, false), sleep(this.#deps.shutdownGraceMs, undefined, { ref: false })]);
    await session.runner.close();
  };

  /**
   * Joined once this resolves. The session is in place from the moment the party exists, so the status says what
   * joining is doing (connecting, retrying) and nothing can end the party before the service knows of it.
   */
  async #open(file: string): Promise<void> {
    const { loaded, section } = await loadJoinableConfig(file);
    const { runner, info } = await this.#deps.openRunner(file);
    try {
      const party = this.#deps.createParty({
        section,
        baseDir: loaded.baseDir,
        runner,
        settings: info.settings,
        ...this.#nodeKeyOption(loaded.baseDir, section),
        ...(loaded.config.privacy && { privacy: loaded.config.privacy }),
        ...(loaded.config.review && { review: loaded.config.review, modelName: info.model.name }),
        ...(loaded.config.schedule && { schedule: loaded.config.schedule }),
      });
      if (party.review) this.#watchReview(party.review);
      const facts = { file, baseDir: loaded.baseDir, section, info, auditLog: party.audit.file };
      const history = await this.#readHistory(facts.auditLog);
      const session: Session = { runner, party, facts, limits: resourceLimits(loaded.config), history, ended: Promise.resolve() };
      this.#session = session;
      const relay = new PartyRelay({ events: this.#events, history, onStateChange: () => this.#announce() });
      party.on('event', relay.onPartyEvent);
      runner.on('progress', relay.onRunnerProgress);
      await party.join();
      this.#stage = 'joined';
      session.ended = this.#watch(session);
      runner.on('died', (error) => this.#onRunnerDied(session, error));
    } catch (error) {
      this.#session = undefined;
      await runner.close();
      throw error;
    }
  }

  /** A history that cannot be read (a log made unreadable) does not keep the site out of its federation: it starts afresh, and says so. */
  async #readHistory(auditLog: string): Promise<PartyHistory> {
    try {
      return await readHistory(auditLog);
    } catch (error) {
      this.#report(`the history of earlier runs is not shown: ${(error as Error).message}`);
      return new PartyHistory();
    }
  }

  /** The party serves until it leaves or its loop ends on its own; either way the thread closes and the service is out. */
  async #watch(session: Session): Promise<void> {
    await session.party.left().catch((error: unknown) => this.#report(`the party stopped: ${(error as Error).message}`));
    await session.runner.close();
    if (this.#session !== session) return;
    this.#lastState = session.party.state;
    this.#lastRun = session.party.run;
    this.#lastAuditLog = session.facts.auditLog;
    this.#session = undefined;
    this.#stage = 'out';
    this.#leaving = null;
    this.#pauseRequested = false;
    this.#announce();
  }

  async #leave(session: Session, finish: boolean): Promise<void> {
    const finishing = finish && this.#leaving?.finish !== false;
    this.#leaving = { finish: finishing };
    this.#stage = 'leaving';
    this.#announce();
    await session.party.leave({ finish: finishing });
    await session.ended;
  }

  /** Sealed by the desktop app: the party gets the key from it; otherwise the party keeps its key_file itself. */
  #nodeKeyOption(baseDir: string, section: FederationSection): Pick<PartyOptions, 'nodeKey'> {
    const storage = this.#deps.nodeKeys;
    if (storage.kind === 'file') return {};
    const notice = (message: string) => this.#events.emit('party.notice', { time: new Date().toISOString(), message });
    return { nodeKey: sealedNodeKey(storage.vault, path.resolve(baseDir, section.key_file), notice) };
  }

  #onRunnerDied(session: Session, error: Error): void {
    if (this.#session !== session) return;
    this.#report(`${error.message}; the party cannot train any more, so it leaves the federation`);
    void this.#leave(session, false);
  }

  #refuseJoin(): void {
    if (this.#closing) throw new ServiceError('unavailable', 'the services are stopping: no new party can join');
    if (this.#stage === 'out') return;
    const doing = this.#stage === 'joining' ? 'already joining' : this.#stage === 'leaving' ? 'still leaving' : 'already in';
    throw new ServiceError(
      'failed',
      `${doing} the federation of ${this.#file}: a site takes part in one federation at a time; leave it first`,
    );
  }

  #joinedSession(action: string): Session {
    if (this.#stage === 'joined' && this.#session) return this.#session;
    throw new ServiceError(
      'failed',
      `cannot ${action}: ${this.#stage === 'out' ? 'the party has not joined a federation' : `the party is ${this.#stage}`}`,
    );
  }

  #status(): PartyStatus {
    const session = this.#session;
    return {
      stage: this.#stage,
      state: contractState(session?.party.state ?? this.#lastState),
      pauseRequested: this.#pauseRequested,
      leaving: this.#leaving,
      run: session ? session.party.run : this.#lastRun,
      ...(session ? joinedFacts(session.facts, session.party.fingerprint) : { file: this.#file, ...NO_FACTS }),
      ...(session?.party.privacy && { privacy: privacyStatus(session.party.privacy) }),
      ...(session?.party.schedule && { schedule: scheduleStatus(session.party.schedule.schedule) }),
      ...(session && { limits: session.limits }),
    };
  }

  /** Called from the party's own events too: a status the contract refuses (a bug) is reported, never thrown into the party. */
  #announce(): void {
    try {
      this.#events.emit('party.state', this.#status());
    } catch (error) {
      console.error(`tributary services: party.state not sent, its payload is outside the contract: ${(error as Error).message}`);
    }
  }

  #report(message: string): void {
    this.#events.emit('party.error', { time: new Date().toISOString(), message });
  }
}

async function auditLogOf(file: string): Promise<string | null> {
  const { config, baseDir } = await loadPartyConfig(file);
  return config.federation ? path.resolve(baseDir, config.federation.audit_log) : null;
}
