// Tests (Node, real files): the site's privacy policy: its schema, the rounds it declines and why, and the budget kept on disk across a restart.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PartyConfigSchema } from '../../../../common/party-config.js';
import { loadPartyConfig } from '../../../../main/config/party-config.js';
import { PrivacySectionSchema, type PrivacySectionInput } from '../../../../common/privacy-config.js';
import type { NamedArray } from '../../../../main/engine/weights.js';
import { checkParties, checkRequest, type RoundRequest } from '../../../../main/federation/privacy/policy.js';
import { seededRandom } from '../../../../main/federation/privacy/noise.js';
import { SitePrivacy } from '../../../../main/federation/privacy/site-privacy.js';

const policy = (input: PrivacySectionInput) => PrivacySectionSchema.parse(input);
const train = (config: Record<string, unknown> = {}, secure = false): RoundRequest => ({ kind: 'train', secure, config });

describe('the privacy section', () => {
  it('parses in a party config, with defaults, and sensitivity twice the clipping norm unless set', () => {
    const config = PartyConfigSchema.parse({
      data: { name: 'ImageFolder', info: { train: 'train', test: 'test' } },
      privacy: { local_dp: { clipping_norm: 1.5, epsilon: 1, delta: 1e-5 }, max_total_epsilon: 8 },
    });
    expect(config.privacy).toMatchObject({
      require_secure_aggregation: false,
      accountant: 'gaussian',
      local_dp: { clipping_norm: 1.5, epsilon: 1, delta: 1e-5, sensitivity: 3 },
      server_may_set: {},
    });
    expect(policy({ local_dp: { clipping_norm: 1, epsilon: 1, delta: 1e-5, sensitivity: 1 } }).local_dp!.sensitivity).toBe(1);
  });

  it('refuses settings that cannot hold, naming the key', () => {
    const issues = (input: unknown) => PrivacySectionSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ max_total_epsilon: 4 })).toEqual([expect.stringMatching(/^max_total_epsilon: needs `local_dp`/)]);
    expect(issues({ min_parties_per_round: 3 })).toEqual([
      expect.stringMatching(/^min_parties_per_round: needs `require_secure_aggregation/),
    ]);
    expect(issues({ clipping_norm: 1, local_dp: { clipping_norm: 1, epsilon: 1, delta: 1e-5 } })).toEqual([
      expect.stringMatching(/^clipping_norm: set `clipping_norm` inside `local_dp`/),
    ]);
    expect(issues({ local_dp: { clipping_norm: 1, epsilon: 1, delta: 1 } })?.[0]).toMatch(/^local_dp.delta/);
    expect(issues({ server_may_set: { learning_rate: { min: 0.1, max: 0.01 } } })?.[0]).toMatch(/^server_may_set.learning_rate: `min`/);
    expect(issues({ epsilon: 1 })?.[0]).toMatch(/Unrecognized key/);
  });

  it('names the file, the key and its line when a party config file breaks a rule', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-privacy-config-'));
    const file = path.join(dir, 'party.yaml');
    const yaml = ['data:', '  name: ImageFolder', '  info: { train: train, test: test }', 'privacy:', '  max_total_epsilon: 4', ''].join(
      '\n',
    );
    await writeFile(file, yaml);
    const error = await loadPartyConfig(file).then(
      () => null,
      (e: unknown) => e as { key: string; file: string; line?: number; message: string },
    );
    expect(error).toMatchObject({ file, key: 'privacy.max_total_epsilon', line: 5 });
    expect(error!.message).toMatch(/needs `local_dp`/);
  });
});

describe('what a round asks, held to the policy', () => {
  const strict = policy({ server_may_set: { learning_rate: { min: 0.001, max: 0.1 }, max_epochs: 3, batch_sizes: [32, 64] } });

  it('accepts what is allowed, and what the round leaves to the site', () => {
    expect(checkRequest(strict, train({ lr: 0.01, 'local-epochs': 3n, 'batch-size': 64n }))).toBeNull();
    expect(checkRequest(strict, train({}))).toBeNull();
  });

  it('declines a learning rate out of bounds, too many epochs, a batch size not allowed, saying which key', () => {
    expect(checkRequest(strict, train({ lr: 0.5 }))).toBe(
      'config "lr" = 0.5 is outside the learning rates the site\'s privacy policy allows (0.001 to 0.1)',
    );
    expect(checkRequest(strict, train({ local_epochs: 4n }))).toBe(
      'config "local_epochs" = 4 asks for more local epochs than the site\'s privacy policy allows (3)',
    );
    expect(checkRequest(strict, train({ batch_size: 48n }))).toBe(
      'config "batch_size" = 48 is not a batch size the site\'s privacy policy allows (32, 64)',
    );
  });

  it('declines a plain train message when secure aggregation is required, and get_parameters under any guard', () => {
    const secure = policy({ require_secure_aggregation: true, min_parties_per_round: 3 });
    expect(checkRequest(secure, train())).toMatch(/requires secure aggregation, and a plain "train" message would let the server read/);
    expect(checkRequest(secure, train({}, true))).toBeNull();
    expect(checkRequest(secure, { kind: 'evaluate', secure: false, config: {} })).toBeNull();
    expect(checkRequest(secure, { kind: 'get_parameters', secure: false, config: {} })).toMatch(/^"get_parameters" would send/);
    expect(checkRequest(policy({}), { kind: 'get_parameters', secure: false, config: {} })).toBeNull();
    expect(checkParties(secure, 2)).toBe("secure aggregation over 2 parties, fewer than the 3 the site's privacy policy requires");
    expect(checkParties(secure, 3)).toBeNull();
  });
});

const weights = (values: number[]): NamedArray[] => [
  { name: 'w', shape: [values.length], dtype: 'float32', data: Float32Array.from(values) },
];

async function ledgerDir(): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), 'tributary-privacy-')), 'audit.jsonl.privacy.json');
}

describe('the budget', () => {
  const dp = policy({ local_dp: { clipping_norm: 1, epsilon: 1, delta: 1e-5 }, max_total_epsilon: 1.6, accountant: 'basic' });

  async function sendRound(privacy: SitePrivacy, runId: string, round: number) {
    return privacy.release({ runId, round, received: weights([0, 0]), trained: weights([3, 4]), config: new Map() });
  }

  it('clips and noises an update, records it, and declines once the next round would pass the budget', async () => {
    const file = await ledgerDir();
    const privacy = new SitePrivacy(dp, file, seededRandom('budget'));
    expect(await privacy.check(train(), '7')).toBeNull();
    const first = await sendRound(privacy, '7', 1);
    expect(first.audit).toMatchObject({
      clippingNorm: 1,
      clippingNormFrom: 'site',
      scaledDown: true,
      noised: true,
      epsilon: 1,
      delta: 1e-5,
      sensitivity: 2,
      noiseStd: 2 * 4.844805262605389,
      epsilonBudget: 1.6,
      accountant: 'basic',
    });
    expect(first.audit!.roundEpsilon).toBeCloseTo(0.750977, 5);
    expect(first.audit!.epsilonSpent).toBeCloseTo(0.750977, 5);
    expect(first.weights[0]!.data).not.toEqual(Float32Array.from([0.6, 0.8]));
    // 0.75 spent, and 0.75 more would make 1.502: still within 1.6.
    expect(await privacy.check(train(), '7')).toBeNull();
    await sendRound(privacy, '7', 2);
    expect(await privacy.check(train(), '7')).toBe(
      'privacy budget spent: 1.502 of 1.6 (epsilon at delta 0.00001); this round would bring it to 2.253',
    );
    expect(await privacy.check({ kind: 'evaluate', secure: false, config: {} }, '7')).toBeNull();
    expect(await privacy.check(train(), '8')).toBeNull(); // another run has its own budget
  });

  it('keeps the spent budget across a restart, in a JSON file written whole', async () => {
    const file = await ledgerDir();
    await sendRound(new SitePrivacy(dp, file), '9', 1);
    await sendRound(new SitePrivacy(dp, file), '9', 2);
    const restarted = new SitePrivacy(dp, file);
    expect((await restarted.spentIn('9')).rounds).toBe(2);
    expect(await restarted.check(train(), '9')).toMatch(/^privacy budget spent: 1.502 of 1.6/);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { runs: Record<string, { round: number }[]> };
    expect(saved.runs['9']!.map((r) => r.round)).toEqual([1, 2]);
  });

  it('sends nothing under a ledger it cannot read, and says which file', async () => {
    const file = await ledgerDir();
    await writeFile(file, '{"version": 1, "runs": {"9": [{"round": 1}]}}');
    expect(await new SitePrivacy(dp, file).check(train(), '9')).toBe(
      `the privacy budget cannot be counted, so no update may leave: privacy ledger ${file}: run 9 holds an entry that is not a release`,
    );
    await writeFile(file, '{"version": 1, "runs": {');
    expect(await new SitePrivacy(dp, file).check(train(), '9')).toMatch(/^the privacy budget cannot be counted.*is not JSON/);
  });

  it("clips to the server's clipping_norm (fixedclipping_mod) when it is the smaller, and refuses one that is no number", async () => {
    const privacy = new SitePrivacy(policy({ clipping_norm: 2 }), await ledgerDir());
    const served = await privacy.release({
      runId: '1',
      round: 1,
      received: weights([0, 0]),
      trained: weights([3, 4]),
      config: new Map([['clipping_norm', 0.5]]),
    });
    expect([...served.weights[0]!.data]).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    expect(served.audit).toEqual({ clippingNorm: 0.5, clippingNormFrom: 'server', scaledDown: true, noised: false });
    const none = new SitePrivacy(policy({}), await ledgerDir());
    const plain = await none.release({ runId: '1', round: 1, received: weights([0, 0]), trained: weights([3, 4]), config: new Map() });
    expect(plain.audit).toBeNull();
    await expect(none.check(train({ clipping_norm: 'big' }), '1')).rejects.toThrow(
      'config "clipping_norm": expected a positive number, got big',
    );
  });
});
