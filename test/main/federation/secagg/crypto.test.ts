// Tests (Node): P-384 keys, the shared Fernet key and Fernet tokens against Python's `cryptography`.
import { describe, expect, it } from 'vitest';

import { SecAggError } from '../../../../main/federation/secagg/errors.js';
import { fernetDecrypt, fernetEncrypt } from '../../../../main/federation/secagg/fernet.js';
import { generateKeyPair, privateKeyFromPem, publicKeyFromPem, sharedFernetKey } from '../../../../main/federation/secagg/keys.js';
import { ascii, hex, toHex, vectors } from './vectors.js';

describe('P-384 keys and the shared key', () => {
  it('derives the same Fernet key as cryptography for every pair of its keys', () => {
    const { pairs, shared } = vectors.ecdh;
    pairs.forEach((a, i) =>
      pairs.forEach((b, j) => {
        const key = sharedFernetKey(privateKeyFromPem(ascii(a.private_pem), 'sk'), publicKeyFromPem(ascii(b.public_pem), 'pk'));
        expect(Buffer.from(key).toString('ascii')).toBe(shared[i]![j]);
      }),
    );
  });

  it('writes PEM bytes identical to what cryptography writes for the same key', async () => {
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    for (const pair of vectors.ecdh.pairs) {
      const key = createPrivateKey(pair.private_pem);
      expect(key.export({ type: 'pkcs8', format: 'pem' })).toBe(pair.private_pem);
      expect(createPublicKey(key).export({ type: 'spki', format: 'pem' })).toBe(pair.public_pem);
    }
  });

  it('agrees on one key from both ends for fresh pairs', () => {
    const [a, b] = [generateKeyPair(), generateKeyPair()];
    const ab = sharedFernetKey(privateKeyFromPem(a.privatePem, 'a'), publicKeyFromPem(b.publicPem, 'b'));
    const ba = sharedFernetKey(privateKeyFromPem(b.privatePem, 'b'), publicKeyFromPem(a.publicPem, 'a'));
    expect(toHex(ab)).toBe(toHex(ba));
    expect(ab).toHaveLength(44);
  });

  it('refuses a key on another curve, a non-key and an oversized PEM, naming the key', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const p256 = String(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }));
    expect(() => publicKeyFromPem(ascii(p256), 'pk1 of node 7')).toThrow(/pk1 of node 7: expected an EC key on secp384r1/);
    expect(() => publicKeyFromPem(ascii('not a key'), 'pk2')).toThrow(SecAggError);
    expect(() => publicKeyFromPem(new Uint8Array(2000), 'pk2')).toThrow(/larger than 1024/);
  });
});

describe('Fernet', () => {
  const key = ascii(vectors.fernet.key);

  it('writes the very token cryptography writes for the same time and IV', () => {
    for (const c of vectors.fernet.cases) {
      const token = fernetEncrypt(key, hex(c.plaintext), { timeSeconds: c.time, iv: hex(c.iv) });
      expect(Buffer.from(token).toString('ascii')).toBe(c.token);
    }
  });

  it("reads cryptography's tokens, fixed and random", () => {
    for (const c of vectors.fernet.cases) {
      expect(toHex(fernetDecrypt(key, ascii(c.token), 4096))).toBe(c.plaintext);
      expect(toHex(fernetDecrypt(key, ascii(c.random_token), 4096))).toBe(c.plaintext);
    }
  });

  it('round-trips with a fresh IV and the current time', () => {
    const plaintext = hex('00ff'.repeat(50));
    const token = fernetEncrypt(key, plaintext);
    expect(toHex(fernetDecrypt(key, token, 4096))).toBe(toHex(plaintext));
  });

  it('refuses a flipped byte, a wrong key, a short or oversized token', () => {
    const token = Buffer.from(vectors.fernet.cases[3]!.token, 'base64url');
    token[30] = token[30]! ^ 1;
    const flipped = ascii(token.toString('base64').replaceAll('+', '-').replaceAll('/', '_'));
    expect(() => fernetDecrypt(key, flipped, 4096)).toThrow(/HMAC does not match/);
    const other = ascii(vectors.ecdh.shared[1]![2]!);
    expect(() => fernetDecrypt(other, ascii(vectors.fernet.cases[0]!.token), 4096)).toThrow(/HMAC does not match/);
    expect(() => fernetDecrypt(key, ascii('gAAAAA=='), 4096)).toThrow(/no whole AES blocks/);
    expect(() => fernetDecrypt(key, ascii(vectors.fernet.cases[6]!.token), 100)).toThrow(/larger than 100/);
    expect(() => fernetDecrypt(ascii('short'), ascii(vectors.fernet.cases[0]!.token), 4096)).toThrow(/Fernet key must be 32 bytes/);
  });
});
