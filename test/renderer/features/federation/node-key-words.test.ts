// Tests (Node): what the node key panel offers and when, the outcome of saving the public key, and the reset confirmation's words.
import { describe, expect, it } from 'vitest';
import type { NodeKey } from '../../../../common/contract/party-api.js';
import { nodeKeyActions, resetConsequences, savedPublicKeyWords } from '../../../../renderer/features/federation/node-key-words.js';

const NONE: NodeKey = {
  keyFile: '/site/node-key.pem',
  fingerprint: null,
  problem: null,
  storage: 'file',
  storageNote: null,
  publicKey: null,
  publicKeySsh: null,
  publicKeyFile: '/site/node-key.pub',
};
const KEY: NodeKey = {
  ...NONE,
  fingerprint: '3fa2-91c0-77de-0b14',
  publicKey: '-----BEGIN PUBLIC KEY-----\n…',
  publicKeySsh: 'ecdsa-sha2-nistp384 AAAA',
};
const BROKEN: NodeKey = { ...NONE, problem: 'cannot unseal the node key …' };

describe('nodeKeyActions', () => {
  it('offers create without a key, save and reset with one, and reset alone for a key that cannot be used', () => {
    const out = { stage: 'out' as const, dirty: false };
    expect(nodeKeyActions({ nodeKey: NONE, ...out })).toEqual({ create: true, savePublicKey: false, reset: false, blocker: null });
    expect(nodeKeyActions({ nodeKey: KEY, ...out })).toEqual({ create: false, savePublicKey: true, reset: true, blocker: null });
    expect(nodeKeyActions({ nodeKey: BROKEN, ...out })).toEqual({ create: false, savePublicKey: false, reset: true, blocker: null });
  });

  it('offers nothing without a federation section, or before the key was looked at', () => {
    expect(
      nodeKeyActions({ nodeKey: { ...NONE, keyFile: null, storage: null, publicKeyFile: null }, stage: 'out', dirty: false }),
    ).toMatchObject({ create: false, reset: false });
    expect(nodeKeyActions({ nodeKey: null, stage: 'out', dirty: false })).toMatchObject({
      create: false,
      savePublicKey: false,
      reset: false,
    });
  });

  it('says why create and reset wait: a party in a federation, or unsaved changes', () => {
    expect(nodeKeyActions({ nodeKey: KEY, stage: 'joined', dirty: false }).blocker).toBe(
      'The party is in a federation and its node uses this key: leave first to create or reset it.',
    );
    expect(nodeKeyActions({ nodeKey: KEY, stage: 'leaving', dirty: true }).blocker).toMatch(/^The party is in a federation/);
    expect(nodeKeyActions({ nodeKey: NONE, stage: 'out', dirty: true }).blocker).toBe(
      'Save your changes first: the key is named by the saved config.',
    );
    expect(nodeKeyActions({ nodeKey: KEY, stage: 'joined', dirty: false }).savePublicKey).toBe(true);
  });
});

describe('savedPublicKeyWords', () => {
  const saved = (outcome: 'written' | 'replaced' | 'unchanged' | 'kept') =>
    savedPublicKeyWords({ publicKeyFile: '/site/node-key.pub', fingerprint: KEY.fingerprint!, outcome });

  it('reports the path written, and offers to replace only a different file it kept', () => {
    expect(saved('written')).toEqual({
      tone: 'success',
      text: 'Saved to /site/node-key.pub. Send it to the coordinator, and the fingerprint by another channel.',
      offerReplace: false,
    });
    expect(saved('unchanged')).toMatchObject({
      tone: 'success',
      text: '/site/node-key.pub already holds this public key.',
      offerReplace: false,
    });
    expect(saved('replaced')).toMatchObject({ tone: 'success', offerReplace: false });
    expect(saved('kept')).toMatchObject({
      tone: 'warning',
      text: expect.stringContaining('/site/node-key.pub already exists and holds something else'),
      offerReplace: true,
    });
  });
});

describe('resetConsequences', () => {
  it('says which key goes and from where, that the server will know a new node, and what register: false asks of the coordinator', () => {
    const words = resetConsequences(KEY, false);
    expect(words[0]).toBe('Node key 3fa2-91c0-77de-0b14 is deleted (in the key file /site/node-key.pem). This cannot be undone.');
    expect(words[1]).toContain('the server will know this site as a new node');
    expect(words[2]).toContain('the coordinator must register the new public key before this site can join again');
    expect(words[3]).toBe(`If ${KEY.publicKeyFile} holds this key's public key, it is deleted too.`);
    expect(resetConsequences({ ...BROKEN, storage: 'keychain' }, true)).toEqual([
      "The node key, which cannot be used, is deleted (sealed by this computer's keychain). This cannot be undone.",
      expect.any(String),
      'This federation registers nodes as they join (register: true), so the new node registers itself.',
    ]);
  });
});
