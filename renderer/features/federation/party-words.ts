// Runs in the renderer: the party's status in words, which controls it allows now, and why Join may have to wait.
import type { PartyStatus } from '../../../common/contract/party-api.js';

/** What the party is doing, as the Training page names its phase; a leaving party may still be training. */
export type Phase = 'out' | 'joining' | 'connecting' | 'idle' | 'training' | 'evaluating' | 'paused';

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

export function statusWords(status: PartyStatus): StatusWords {
  const { state, pauseRequested, leaving } = status;
  const phase = phaseOf(status);
  const round = (n: number | null) => (n === null ? 'a round' : `round ${n}`);
  if (status.stage === 'leaving') {
    return { phase, title: 'Leaving…', detail: leaving?.finish ? 'The task in hand finishes and its reply is sent first.' : 'The task in hand is being stopped.', tone: 'waiting' };
  }
  switch (phase) {
    case 'out':
      return { phase, title: 'Not in a federation', detail: state.type === 'disconnected' && state.reason ? `Last: ${state.reason}.` : 'Join to take part in its rounds.', tone: 'off' };
    case 'joining':
      return { phase, title: 'Joining…', detail: 'Opening the training thread, the data and the node key.', tone: 'waiting' };
    case 'connecting': {
      if (state.type !== 'connecting') return { phase, title: 'Connecting…', detail: '', tone: 'waiting' };
      const retry = state.retryInMs === null ? '' : `; trying again in ${Math.ceil(state.retryInMs / 1000)} s`;
      if (!state.lastError) return { phase, title: 'Connecting…', detail: 'Making this node known to the server.', tone: 'waiting' };
      // A refusal is the server answering (a key not registered yet, a stale session): not a network problem to chase.
      const title = state.refused ? `Refused by the server (attempt ${state.attempt})` : `Cannot reach the server (attempt ${state.attempt})`;
      return { phase, title, detail: `${state.lastError}${retry}`, tone: 'attention' };
    }
    case 'idle':
      return { phase, title: 'Waiting for the next round', detail: `Connected as node ${nodeOf(state)}.`, tone: 'waiting' };
    case 'paused':
      return { phase, title: 'Paused', detail: `Connected as node ${nodeOf(state)}; every round is declined and goes on without this site.`, tone: 'attention' };
    case 'training': {
      if (state.type !== 'training') return { phase, title: 'Training', detail: '', tone: 'working' };
      const after = pauseRequested ? ' Pausing once this task is done.' : '';
      return { phase, title: `Training ${round(state.round)}`, detail: `Epoch ${state.epoch} of ${state.epochs}, batch ${state.batch} of ${state.batches}.${after}`, tone: 'working' };
    }
    case 'evaluating':
      return { phase, title: `Evaluating ${round(state.type === 'evaluating' ? state.round : null)}`, detail: 'The global model on this site\'s test split.', tone: 'working' };
  }
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
