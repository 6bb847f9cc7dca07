// Tests (Node): the party's status in words, the controls it allows, and why Join must wait.
import { describe, expect, it } from 'vitest';
import type { PartyStatus } from '../../../../common/contract/party-api.js';
import { allowedActions, joinBlocker, phaseOf, statusWords } from '../../../../renderer/features/federation/party-words.js';

const status = (overrides: Partial<PartyStatus>): PartyStatus => ({
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
  ...overrides,
});
const training = {
  type: 'training' as const,
  runId: '5',
  round: 4,
  epoch: 2,
  epochs: 3,
  batch: 5,
  batches: 10,
  loss: 0.5,
  acc: 0.8,
  samplesPerSec: 100,
  etaSec: 9,
};

describe('statusWords', () => {
  it('names each phase, with what an operator needs to know', () => {
    expect(statusWords(status({ stage: 'out', state: { type: 'disconnected', reason: 'left the federation' } }))).toMatchObject({
      phase: 'out',
      title: 'Not in a federation',
      detail: 'Last: left the federation.',
      tone: 'off',
    });
    expect(statusWords(status({ stage: 'joining' }))).toMatchObject({ phase: 'joining', title: 'Joining…' });
    expect(
      statusWords(status({ state: { type: 'connecting', attempt: 3, lastError: 'ECONNREFUSED', refused: false, retryInMs: 1500 } })),
    ).toMatchObject({
      phase: 'connecting',
      title: 'Cannot reach the server (attempt 3)',
      detail: 'ECONNREFUSED; trying again in 2 s',
      tone: 'attention',
    });
    const unregistered = 'ActivateNode failed: FAILED_PRECONDITION: No SuperNode found with the given public key.';
    expect(
      statusWords(status({ state: { type: 'connecting', attempt: 4, lastError: unregistered, refused: true, retryInMs: 8000 } })),
    ).toMatchObject({
      phase: 'connecting',
      title: 'Refused by the server (attempt 4)',
      detail: `${unregistered}; trying again in 8 s`,
      tone: 'attention',
    });
    const changed = "RegisterNode failed: CERTIFICATE_CHANGED: the server's certificate is not from the pinned CA AB:CD";
    expect(
      statusWords(status({ state: { type: 'connecting', attempt: 2, lastError: changed, refused: false, retryInMs: 1000 } })),
    ).toMatchObject({ title: 'Server certificate not trusted (attempt 2)', detail: `${changed}; trying again in 1 s`, tone: 'attention' });
    expect(statusWords(status({}))).toMatchObject({ phase: 'idle', title: 'Waiting for the next round', detail: 'Connected as node 7.' });
    expect(statusWords(status({ state: training, pauseRequested: true }))).toMatchObject({
      phase: 'training',
      title: 'Training round 4',
      detail: 'Epoch 2 of 3, batch 5 of 10. Pausing once this task is done.',
    });
    expect(statusWords(status({ state: { type: 'evaluating', round: null } }))).toMatchObject({
      phase: 'evaluating',
      title: 'Evaluating a round',
    });
    expect(statusWords(status({ state: { type: 'paused', nodeId: '7' } }))).toMatchObject({
      phase: 'paused',
      title: 'Paused',
      tone: 'attention',
    });
  });

  it('says Paused whenever the operator paused and no task is in hand, connected or not; a task in hand says it pauses after', () => {
    const unreachable = { type: 'connecting' as const, attempt: 3, lastError: 'ECONNREFUSED', refused: false, retryInMs: 1500 };
    expect(statusWords(status({ state: unreachable, pauseRequested: true }))).toMatchObject({
      title: 'Paused',
      detail: 'Not connected: ECONNREFUSED; trying again in 2 s. Every round is declined once it answers.',
      tone: 'attention',
    });
    expect(
      statusWords(
        status({ state: { type: 'connecting', attempt: 1, lastError: null, refused: false, retryInMs: null }, pauseRequested: true }),
      ).title,
    ).toBe('Paused');
    expect(statusWords(status({ state: { type: 'idle', nodeId: '7' }, pauseRequested: true })).title).toBe('Paused');
    expect(statusWords(status({ state: { type: 'evaluating', round: 4 }, pauseRequested: true })).detail).toBe(
      "The global model on this site's test split. Pausing once this task is done.",
    );
  });

  it('says a federation finished, not a connection error, once the server said its run is over and then closed', () => {
    const run = { runId: '904435318632320104', lastRound: 5, finished: true };
    const closed = {
      type: 'connecting' as const,
      attempt: 4,
      lastError: 'PullMessages failed: UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:9092',
      refused: false,
      retryInMs: 8000,
    };
    expect(statusWords(status({ run, state: closed }))).toEqual({
      phase: 'connecting',
      title: 'Federation finished',
      detail: 'Run 904435318632320104, 5 rounds. The server has since closed; trying again in 8 s in case it starts another run.',
      tone: 'off',
    });
    expect(statusWords(status({ run }))).toMatchObject({
      title: 'Federation finished',
      detail: 'Run 904435318632320104, 5 rounds. Still connected as node 7, in case the server starts another run.',
    });
    expect(statusWords(status({ run: { ...run, finished: false }, state: closed })).title).toBe('Cannot reach the server (attempt 4)');
  });

  it('says a party is leaving, while its phase is still what it does', () => {
    const leaving = status({ stage: 'leaving', leaving: { finish: true }, state: training });
    expect(statusWords(leaving)).toMatchObject({ title: 'Leaving…', detail: expect.stringContaining('finishes') });
    expect(phaseOf(leaving)).toBe('training');
  });
});

describe('allowedActions', () => {
  it('offers only what the party service would accept', () => {
    expect(allowedActions(status({ stage: 'out' }), false)).toEqual({
      join: true,
      pause: false,
      resume: false,
      leaveAfterTask: false,
      leaveNow: false,
    });
    expect(allowedActions(status({ stage: 'out' }), true).join).toBe(false);
    expect(allowedActions(status({}), false)).toEqual({ join: false, pause: true, resume: false, leaveAfterTask: true, leaveNow: true });
    expect(allowedActions(status({ pauseRequested: true }), false)).toMatchObject({ pause: false, resume: true });
    expect(allowedActions(status({ stage: 'leaving' }), false)).toEqual({
      join: false,
      pause: false,
      resume: false,
      leaveAfterTask: false,
      leaveNow: true,
    });
  });
});

describe('joinBlocker', () => {
  const ready = { file: '/site/party.yaml', dirty: false, savedValid: true, server: '127.0.0.1:9092' };
  it('lets a saved, valid config with an address join, and says what is missing otherwise', () => {
    expect(joinBlocker(ready)).toBeNull();
    expect(joinBlocker({ ...ready, file: null })).toMatch(/^Open a party config/);
    expect(joinBlocker({ ...ready, dirty: true })).toMatch(/^Save your changes/);
    expect(joinBlocker({ ...ready, savedValid: false })).toMatch(/problems/);
    expect(joinBlocker({ ...ready, server: undefined })).toMatch(/aggregator address/);
  });
});

describe('statusWords outside the schedule', () => {
  // Weeknights from 19:00 to 07:00 in UTC; 2026-12-07 is a Monday.
  const nights = status({
    schedule: { timezone: 'UTC', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '19:00', to: '07:00' }] },
  });

  it('says an idle party outside a window declines every round, and when the next window opens', () => {
    expect(statusWords(nights, new Date('2026-12-07T12:00:00Z'))).toEqual({
      phase: 'idle',
      title: 'Outside the training schedule',
      detail: 'Connected as node 7; every round is declined until the next window opens, Mon 19:00 (UTC).',
      tone: 'off',
    });
  });

  it('waits for the next round inside a window, and without a schedule', () => {
    expect(statusWords(nights, new Date('2026-12-07T20:00:00Z')).title).toBe('Waiting for the next round');
    expect(statusWords(status({}), new Date('2026-12-07T12:00:00Z')).title).toBe('Waiting for the next round');
  });
});
