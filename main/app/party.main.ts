// Runs in Electron main: the party as main sees it (its last status, for the menus, the tray and quitting) and the menus' actions as contract calls.
import { dialog } from 'electron';
import type { MethodName } from '../../common/contract/contract.js';
import type { PartyStatus } from '../../common/contract/party-api.js';
import type { ServicesClient } from '../services/services-client.js';

type PartyView = Pick<PartyStatus, 'stage' | 'pauseRequested' | 'leaving' | 'state' | 'run'>;

const OUT: PartyView = { stage: 'out', pauseRequested: false, leaving: null, state: { type: 'disconnected', reason: null }, run: null };

/** Main never asks for the status: the services announce every change (party.state), and a restarted services process has no party. */
export class PartyControl {
  #view: PartyView = OUT;

  constructor(
    readonly services: ServicesClient,
    onChange: () => void,
  ) {
    services.subscribe((event, payload) => {
      if (event === 'party.state') this.#view = payload as PartyStatus;
      else if (event === 'app.servicesState' && (payload as { state: string }).state !== 'ready') this.#view = OUT;
      else return;
      onChange();
    });
  }

  get view(): PartyView {
    return this.#view;
  }

  /** In a federation, or on the way in or out: quitting must ask first. */
  get inFederation(): boolean {
    return this.#view.stage !== 'out';
  }

  join = (file: string): Promise<void> => this.#call('party.join', { file }, 'Cannot join the federation');
  pause = (): Promise<void> => this.#call('party.pause', {}, 'Cannot pause');
  resume = (): Promise<void> => this.#call('party.resume', {}, 'Cannot resume');
  leave = (finish: boolean): Promise<void> => this.#call('party.leave', { finish }, 'Cannot leave the federation');

  async #call(method: MethodName, args: unknown, failure: string): Promise<void> {
    const result = await this.services.call(method, args);
    if (!result.ok) dialog.showErrorBox(failure, result.error.message);
  }
}

/** The tray's tooltip: what the party is doing, readable at a glance without opening the window. */
export function partyTooltip({ stage, state, leaving, pauseRequested, run }: PartyView): string {
  const doing = (): string => {
    if (stage === 'out') return 'not in a federation';
    // The server closing after its run finished is expected: its connection errors are no news for the tray.
    if (stage === 'joined' && run?.finished && (state.type === 'connecting' || state.type === 'idle'))
      return `federation finished (run ${run.runId})`;
    if (stage === 'joining') return 'joining the federation…';
    if (stage === 'leaving') return leaving?.finish ? 'leaving after the task in hand…' : 'leaving…';
    if (state.type === 'training') return `training round ${state.round ?? '?'}${pauseRequested ? ' (pausing after it)' : ''}`;
    if (state.type === 'evaluating') return `evaluating round ${state.round ?? '?'}`;
    if (state.type === 'connecting')
      return state.lastError ? `${state.refused ? 'refused by' : 'cannot reach'} the server: ${state.lastError}` : 'connecting…';
    if (state.type === 'paused') return 'paused';
    return state.type === 'idle' ? 'waiting for the next round' : 'disconnected';
  };
  return `Tributary: ${doing()}`;
}
