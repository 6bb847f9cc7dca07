// Runs in the renderer: the party as the pages see it: its status, the operator's actions on it, its log and its audit log.
import type { ResultOf } from '../../../common/contract/contract.js';
import type { ContractError, Envelope } from '../../../common/contract/envelope.js';
import type { PartyStatus } from '../../../common/contract/party-api.js';
import { api } from '../../lib/api.js';
import { withBatch } from './party-status.js';
import type { BatchProgress } from './party-status.js';

export interface LogLine {
  id: number;
  time: string;
  message: string;
  tone: 'notice' | 'error';
}

type Action = 'join' | 'pause' | 'resume' | 'leave';

/** A long-running party says a lot: the newest lines are the ones an operator looks for. */
const LOG_KEPT = 100;
const AUDIT_ROWS = 200;

const OUT: PartyStatus = {
  stage: 'out',
  state: { type: 'disconnected', reason: null },
  pauseRequested: false,
  leaving: null,
  run: null,
  file: null,
  node: null,
  federation: null,
  backend: null,
  model: null,
};

class PartyStore {
  status = $state<PartyStatus>(OUT);
  /** The action in flight: a leave that finishes the task in hand can take a whole round. */
  busy = $state<Action | null>(null);
  /** The last action the services refused, its config problems placed by key. */
  failure = $state<ContractError | null>(null);
  /** The saved version of the config (configStore.savedVersion) a refused join read: its problems are stale once the file changes. */
  failedVersion = $state<number | null>(null);
  log = $state<LogLine[]>([]);
  audit = $state.raw<ResultOf<'party.audit'>>({ auditLog: null, entries: [], unreadableLines: 0 });
  auditError = $state<string | null>(null);

  #nextLine = 0;
  #auditLoading = false;
  /** The config whose audit log was asked for while a read was in flight: read again once it is done. */
  #auditAgain: string | null | undefined;

  refresh = async (): Promise<void> => {
    const status = await api.party.status();
    if (status.ok) this.status = status.value;
  };

  onState = (status: PartyStatus): void => {
    this.status = status;
  };

  /** Each batch moves the training state on: the status line and the progress bars read this one status. */
  onBatch = (progress: BatchProgress): void => {
    this.status = withBatch(this.status, progress);
  };

  onNotice = ({ time, message }: { time: string; message: string }): void => this.#note(time, message, 'notice');
  onError = ({ time, message }: { time: string; message: string }): void => this.#note(time, message, 'error');

  join = async (file: string, savedVersion: number): Promise<void> => {
    await this.#act('join', () => api.party.join({ file }));
    this.failedVersion = this.failure ? savedVersion : null;
  };
  pause = (): Promise<void> => this.#act('pause', () => api.party.pause());
  resume = (): Promise<void> => this.#act('resume', () => api.party.resume());
  /** Not held back by a leave in flight: Leave now turns a finishing leave into an abort. */
  leave = (finish: boolean): Promise<void> => this.#act('leave', () => api.party.leave({ finish }));

  /** Reads the audit log of `file`'s federation (null: the joined party's); calls during a read coalesce into one more. */
  loadAudit = async (file: string | null): Promise<void> => {
    if (this.#auditLoading) {
      this.#auditAgain = file;
      return;
    }
    this.#auditLoading = true;
    const audit = await api.party.audit({ ...(file !== null && { file }), last: AUDIT_ROWS });
    this.#auditLoading = false;
    this.audit = audit.ok ? audit.value : { auditLog: null, entries: [], unreadableLines: 0 };
    this.auditError = audit.ok ? null : audit.error.message;
    const again = this.#auditAgain;
    this.#auditAgain = undefined;
    if (again !== undefined) await this.loadAudit(again);
  };

  async #act(action: Action, call: () => Promise<Envelope<PartyStatus>>): Promise<void> {
    this.busy = action;
    this.failure = null;
    const result = await call();
    if (this.busy === action) this.busy = null;
    if (result.ok) this.status = result.value;
    else this.failure = result.error;
  }

  #note(time: string, message: string, tone: LogLine['tone']): void {
    this.log = [{ id: this.#nextLine++, time, message, tone }, ...this.log].slice(0, LOG_KEPT);
  }
}

export const partyStore = new PartyStore();
