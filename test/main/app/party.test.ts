// Tests (Node, electron mocked): main's view of the party (from the services' events) and the menus' party actions as contract calls.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PartyStatus } from '../../../common/contract/party-api.js';
import type { EventListener, ServicesClient } from '../../../main/services/services-client.js';
import type { ElectronMock } from './electron-mock.js';

vi.mock('electron', async () => (await import('./electron-mock.js')).createElectronMock('/tmp'));

const electron = (await import('electron')) as unknown as ElectronMock;
const { PartyControl, partyTooltip } = await import('../../../main/app/party.main.js');

const joined: PartyStatus = {
  stage: 'joined',
  state: { type: 'idle', nodeId: '7' },
  pauseRequested: false,
  leaving: null,
  run: null,
  file: '/site/party.yaml',
  node: null,
  federation: null,
  backend: null,
  model: null,
};

function setup(reply: Awaited<ReturnType<ServicesClient['call']>> = { ok: true, value: joined }) {
  let listener: EventListener = () => undefined;
  const services = { call: vi.fn(async () => reply), subscribe: vi.fn((l: EventListener) => ((listener = l), () => undefined)) };
  const onChange = vi.fn();
  const party = new PartyControl(services, onChange);
  return { party, services, onChange, emit: (event: Parameters<EventListener>[0], payload: unknown) => listener(event, payload) };
}

beforeEach(() => vi.clearAllMocks());

describe('PartyControl', () => {
  it('follows party.state, and forgets the party when the services process goes away', () => {
    const { party, onChange, emit } = setup();
    expect(party.inFederation).toBe(false);
    emit('party.state', joined);
    expect(party.view.stage).toBe('joined');
    expect(party.inFederation).toBe(true);
    emit('dataset.scanProgress', {});
    expect(onChange).toHaveBeenCalledTimes(1);
    emit('app.servicesState', { state: 'restarting' });
    expect(party.inFederation).toBe(false);
    expect(onChange).toHaveBeenCalledTimes(2);
  });

  it('calls the contract for each action, and shows an error box when the services refuse', async () => {
    const { party, services } = setup();
    await party.join('/site/party.yaml');
    await party.pause();
    await party.resume();
    await party.leave(true);
    expect(services.call.mock.calls).toEqual([
      ['party.join', { file: '/site/party.yaml' }],
      ['party.pause', {}],
      ['party.resume', {}],
      ['party.leave', { finish: true }],
    ]);
    expect(electron.dialog.showErrorBox).not.toHaveBeenCalled();
    const refused = setup({ ok: false, error: { code: 'failed', message: 'already in the federation of /site/party.yaml' } });
    await refused.party.join('/site/party.yaml');
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith(
      'Cannot join the federation',
      'already in the federation of /site/party.yaml',
    );
  });
});

describe('partyTooltip', () => {
  it('says what the party is doing', () => {
    expect(partyTooltip({ ...joined, stage: 'out' })).toBe('Tributary: not in a federation');
    expect(partyTooltip(joined)).toBe('Tributary: waiting for the next round');
    const training = {
      type: 'training' as const,
      runId: '5',
      round: 3,
      epoch: 1,
      epochs: 1,
      batch: 1,
      batches: 2,
      loss: null,
      acc: null,
      samplesPerSec: 0,
      etaSec: 0,
    };
    expect(partyTooltip({ ...joined, state: training, pauseRequested: true })).toBe('Tributary: training round 3 (pausing after it)');
    expect(
      partyTooltip({ ...joined, state: { type: 'connecting', attempt: 2, lastError: 'ECONNREFUSED', refused: false, retryInMs: 500 } }),
    ).toBe('Tributary: cannot reach the server: ECONNREFUSED');
    expect(
      partyTooltip({
        ...joined,
        state: { type: 'connecting', attempt: 2, lastError: 'No SuperNode found', refused: true, retryInMs: 500 },
      }),
    ).toBe('Tributary: refused by the server: No SuperNode found');
    expect(partyTooltip({ ...joined, stage: 'leaving', leaving: { finish: true } })).toBe('Tributary: leaving after the task in hand…');
    const finished = { runId: '5', lastRound: 3, finished: true };
    const closed = { type: 'connecting' as const, attempt: 4, lastError: 'ECONNREFUSED', refused: false, retryInMs: 500 };
    expect(partyTooltip({ ...joined, run: finished, state: closed })).toBe('Tributary: federation finished (run 5)');
    expect(partyTooltip({ ...joined, run: finished })).toBe('Tributary: federation finished (run 5)');
  });
});
