// Runs in the renderer: the party's status in words, which controls it allows now, and why Join may have to wait.
import type { PartyStatus } from '../../../common/contract/party-api.js';
import { scheduleAt, wallTimeText } from '../../../common/schedule.js';

/** What the party is doing, as the Training page names its phase; a leaving party may still be training. */
export type Phase = 'out' | 'joining' | 'connecting' | 'idle' | 'training' | 'evaluating' | 'paused' | 'reviewing';

export interface StatusWords {
  phase: Phase;
  title: string;
  detail: string;
  /** How the status line is coloured: working, waiting, attention needed, or not taking part. */
  tone: 'working' | 'waiting' | 'attention' | 'off';
}

export function phaseOf({ stage, state }: PartyStatus): Phase {
  if (stage === 'out' || stage === 'joining') return stage;
  return state.type === 'disconnected' ? 'connecting' : state.type;
}

/** `now`: the schedule's windows are read against it (the renderer's ticking clock). */
export function statusWords(status: PartyStatus, now = new Date()): StatusWords {
  const { state, pauseRequested, leaving } = status;
  const phase = phaseOf(status);
  const round = (n: number | null) => (n === null ? 'a round' : `round ${n}`);
  if (status.stage === 'leaving') {
    return {
      phase,
      title: 'Leaving…',
      detail: leaving?.finish ? 'The task in hand finishes and its reply is sent first.' : 'The task in hand is being stopped.',
      tone: 'waiting',
    };
  }
  const finished = finishedWords(status);
  if (finished) return finished;
  switch (phase) {
    case 'out':
      return {
        phase,
        title: 'Not in a federation',
        detail: state.type === 'disconnected' && state.reason ? `Last: ${state.reason}.` : 'Join to take part in its rounds.',
        tone: 'off',
      };
    case 'joining':
      return { phase, title: 'Joining…', detail: 'Opening the training thread, the data and the node key.', tone: 'waiting' };
    case 'connecting': {
      if (state.type !== 'connecting') return { phase, title: pauseRequested ? 'Paused' : 'Connecting…', detail: '', tone: 'waiting' };
      const retry = state.retryInMs === null ? '' : `; trying again in ${Math.ceil(state.retryInMs / 1000)} s`;
      // The operator's pause holds whatever the connection does: it is what they look for, with why the node is not connected.
      if (pauseRequested) {
        const why = state.lastError ? `Not connected: ${state.lastError}${retry}.` : 'Connecting to the server.';
        return { phase, title: 'Paused', detail: `${why} Every round is declined once it answers.`, tone: 'attention' };
      }
      if (!state.lastError) return { phase, title: 'Connecting…', detail: 'Making this node known to the server.', tone: 'waiting' };
      // A refusal is the server answering (a key not registered yet, a stale session): not a network problem to chase.
      // A certificate not from the pinned CA, or out of date, is neither: the site refuses the server (the code is in the message).
      const title = /CERTIFICATE_(CHANGED|EXPIRED)/.test(state.lastError)
        ? `Server certificate not trusted (attempt ${state.attempt})`
        : state.refused
          ? `Refused by the server (attempt ${state.attempt})`
          : `Cannot reach the server (attempt ${state.attempt})`;
      return { phase, title, detail: `${state.lastError}${retry}`, tone: 'attention' };
    }
    case 'idle':
      if (pauseRequested)
        return {
          phase,
          title: 'Paused',
          detail: `Connected as node ${nodeOf(state)}; every round is declined and goes on without this site.`,
          tone: 'attention',
        };
      return (
        outsideWindow(status, now) ?? {
          phase,
          title: 'Waiting for the next round',
          detail: `Connected as node ${nodeOf(state)}.`,
          tone: 'waiting',
        }
      );
    case 'paused':
      return {
        phase,
        title: 'Paused',
        detail: `Connected as node ${nodeOf(state)}; every round is declined and goes on without this site.`,
        tone: 'attention',
      };
    case 'training': {
      if (state.type !== 'training') return { phase, title: 'Training', detail: '', tone: 'working' };
      return {
        phase,
        title: `Training ${round(state.round)}`,
        detail: `Epoch ${state.epoch} of ${state.epochs}, batch ${state.batch} of ${state.batches}.${pausing(status)}`,
        tone: 'working',
      };
    }
    case 'evaluating':
      return {
        phase,
        title: `Evaluating ${round(state.type === 'evaluating' ? state.round : null)}`,
        detail: `The global model on this site's test split.${pausing(status)}`,
        tone: 'working',
      };
    case 'reviewing':
      return {
        phase,
        title: 'Waiting for approval',
        detail:
          state.type === 'reviewing'
            ? `Run ${state.runId} asks this site to train: approve or decline it under Task review on the Federation page, by ${clock(state.deadline)}.`
            : '',
        tone: 'attention',
      };
  }
}

/** The time of day a deadline falls at, in the operator's own time zone. */
function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString();
}

/** A pause asked for during a task takes effect once the task is done: said beside whatever the task is. */
function pausing({ pauseRequested }: PartyStatus): string {
  return pauseRequested ? ' Pausing once this task is done.' : '';
}

/**
 * Once the server said the run finished, the connection errors that follow when it closes are expected, not a fault:
 * the party says the federation finished, keeps the node connected (or trying) in case another run starts.
 */
function finishedWords({ stage, state, run }: PartyStatus): StatusWords | null {
  if (stage !== 'joined' || !run?.finished) return null;
  const title = 'Federation finished';
  const what = `Run ${run.runId}, ${run.lastRound === null ? 'no rounds' : `${run.lastRound} ${run.lastRound === 1 ? 'round' : 'rounds'}`}`;
  if (state.type === 'connecting' || state.type === 'disconnected') {
    const retry =
      state.type === 'connecting' && state.retryInMs !== null
        ? `; trying again in ${Math.ceil(state.retryInMs / 1000)} s in case it starts another run`
        : '';
    return { phase: 'connecting', title, detail: `${what}. The server has since closed${retry}.`, tone: 'off' };
  }
  if (state.type === 'idle' || state.type === 'paused') {
    return {
      phase: state.type,
      title,
      detail: `${what}. Still connected as node ${state.nodeId}, in case the server starts another run.`,
      tone: 'off',
    };
  }
  return null;
}

function nodeOf(state: PartyStatus['state']): string {
  return 'nodeId' in state ? state.nodeId : '?';
}

export interface AllowedActions {
  join: boolean;
  pause: boolean;
  resume: boolean;
  leaveAfterTask: boolean;
  leaveNow: boolean;
}

/** The controls the party service would accept now: a button that would be refused is not offered. */
export function allowedActions({ stage, pauseRequested }: PartyStatus, joinBlocked: boolean): AllowedActions {
  const joined = stage === 'joined';
  return {
    join: stage === 'out' && !joinBlocked,
    pause: joined && !pauseRequested,
    resume: joined && pauseRequested,
    leaveAfterTask: joined,
    leaveNow: joined || stage === 'leaving',
  };
}

export interface ConfigReadiness {
  file: string | null;
  dirty: boolean;
  savedValid: boolean;
  server: unknown;
}

/** Joining reads the saved file: why it cannot yet, or null when it can. */
export function joinBlocker({ file, dirty, savedValid, server }: ConfigReadiness): string | null {
  if (!file) return 'Open a party config on the Dataset page first.';
  if (dirty) return 'Save your changes first: joining reads the saved file.';
  if (!savedValid) return 'The saved config has problems: fix them and save.';
  if (typeof server !== 'string' || !server) return 'Set the aggregator address and save.';
  return null;
}

/** Connected and idle outside the schedule's windows: every round is declined until the next one opens. */
function outsideWindow({ schedule, state }: PartyStatus, now: Date): StatusWords | null {
  if (!schedule || state.type !== 'idle') return null;
  const { open, next } = scheduleAt(schedule, now);
  if (open || !next) return null;
  return {
    phase: 'idle',
    title: 'Outside the training schedule',
    detail: `Connected as node ${state.nodeId}; every round is declined until the next window opens, ${wallTimeText(next, schedule.timezone)}.`,
    tone: 'off',
  };
}
