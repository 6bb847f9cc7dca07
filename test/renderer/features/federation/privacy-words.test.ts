// Tests (Node): the site's privacy policy, spent budget and an audit line's privacy, in words.
import { describe, expect, it } from 'vitest';
import type { PrivacyStatus } from '../../../../common/contract/party-api.js';
import { auditRows } from '../../../../renderer/features/federation/audit-rows.js';
import { auditPrivacy, budgetWords, privacyLines } from '../../../../renderer/features/federation/privacy-words.js';

const policy = (overrides: Partial<PrivacyStatus> = {}): PrivacyStatus => ({
  requireSecureAggregation: false,
  minPartiesPerRound: null,
  localDp: { clippingNorm: 1, epsilon: 1, delta: 1e-5, sensitivity: 2, noiseStd: 9.6896 },
  clippingNorm: null,
  maxTotalEpsilon: 8,
  accountant: 'gaussian',
  serverMaySet: { learningRate: { min: 0.001, max: 0.1 }, maxEpochs: 3, batchSizes: [32, 64] },
  spent: null,
  ...overrides,
});

describe('privacyLines', () => {
  it('says what each setting does', () => {
    expect(privacyLines(policy({ requireSecureAggregation: true, minPartiesPerRound: 5 }))).toEqual([
      { label: 'Secure aggregation', text: 'required: every round the server could read on its own (a plain train message) is declined' },
      { label: 'Parties per round', text: "at least 5, checked in secure aggregation's setup" },
      {
        label: 'Local differential privacy',
        text: 'clipped to norm 1, Gaussian noise of sd 9.69 (epsilon 1, delta 0.00001 per round, sensitivity 2)',
      },
      { label: 'The server may set', text: 'learning rate 0.001 to 0.1; at most 3 local epochs; batch size 32, 64' },
    ]);
    const plain = privacyLines(
      policy({ localDp: null, clippingNorm: 2, serverMaySet: { learningRate: null, maxEpochs: null, batchSizes: null } }),
    );
    expect(plain.map((line) => line.text)).toEqual([
      'not required: the server can read each update this site sends',
      'off; updates clipped to norm 2 for a server that adds the noise',
      'anything within the federation bounds',
    ]);
  });
});

describe('budgetWords', () => {
  it('shows the epsilon spent against the budget, and warns near it', () => {
    expect(budgetWords(policy())).toEqual({ text: 'Epsilon spent: none yet in this run (budget 8).', fraction: 0, tone: 'ok' });
    const spent = (epsilon: number) => policy({ spent: { runId: '42', epsilon, delta: 1e-5, rounds: 3 } });
    expect(budgetWords(spent(2))).toEqual({
      text: 'Epsilon spent: 2 of 8 at delta 0.00001 (3 updates in run 42, gaussian accountant).',
      fraction: 0.25,
      tone: 'ok',
    });
    expect(budgetWords(spent(7.5))).toMatchObject({ fraction: 0.9375, tone: 'attention' });
    expect(budgetWords(policy({ maxTotalEpsilon: null, spent: { runId: '1', epsilon: 3, delta: 1e-5, rounds: 1 } }))).toMatchObject({
      text: 'Epsilon spent: 3 at delta 0.00001 (1 update in run 1, gaussian accountant; no limit set).',
      fraction: null,
    });
    expect(budgetWords(policy({ localDp: null }))).toMatchObject({ fraction: null, tone: 'off' });
  });
});

describe('auditPrivacy', () => {
  it('sums up an audit line’s privacy', () => {
    expect(auditPrivacy(undefined)).toBe('—');
    expect(auditPrivacy({ clippingNorm: 0.5, clippingNormFrom: 'server', scaledDown: true, noised: false })).toBe(
      'clipped to 0.5 (server), scaled down',
    );
    expect(
      auditPrivacy({
        clippingNorm: 1,
        clippingNormFrom: 'site',
        scaledDown: false,
        noised: true,
        noiseStd: 9.6896,
        epsilonSpent: 0.751,
        epsilonBudget: 8,
      }),
    ).toBe('clipped to 1 (site); noise sd 9.69; epsilon 0.751 of 8');
    expect(auditPrivacy({ clippingNorm: null, clippingNormFrom: null, scaledDown: false, noised: false, masked: true })).toBe(
      'masked (SecAgg+)',
    );
    expect(auditPrivacy({ clippingNorm: 3, clippingNormFrom: 'site', scaledDown: false, noised: false, masked: true })).toBe(
      'masked (SecAgg+); clipped to 3 (site)',
    );
  });

  it('fills the audit table’s Privacy cell on sent lines only', () => {
    const line = { time: '2026-01-01T00:00:00.000Z', messageType: 'train', round: 1, group: '1', messageId: 'm', replyTo: null };
    const rows = auditRows([
      { ...line, direction: 'received', arrays: [], values: {}, bytes: 0, error: null },
      {
        ...line,
        direction: 'sent',
        arrays: [],
        values: {},
        bytes: 0,
        error: null,
        privacy: { clippingNorm: 2, clippingNormFrom: 'site', scaledDown: false, noised: false },
      },
      { ...line, direction: 'sent', arrays: [], values: {}, bytes: 0, error: null },
    ]);
    expect(rows.map((row) => row.privacy)).toEqual(['—', 'clipped to 2 (site)', '']);
  });
});
