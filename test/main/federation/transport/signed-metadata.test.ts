// Tests (Node): Flower's node-auth metadata: the timestamp format, and the SuperLink's checks in its order and words.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateNodeIdentity } from '../../../../main/federation/transport/node-identity.js';
import {
  checkSignedMetadata,
  flowerTimestamp,
  parseZonedTimestamp,
  signMetadata,
} from '../../../../main/federation/transport/signed-metadata.js';

const identity = generateNodeIdentity();
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const signedAt = (offsetMs: number) => signMetadata(identity, new Date(NOW + offsetMs));

describe('flowerTimestamp', () => {
  it('writes ISO-8601 with an explicit +00:00 zone, as Python isoformat() does', () => {
    expect(flowerTimestamp(new Date(Date.UTC(2026, 0, 1)))).toBe('2026-01-01T00:00:00.000+00:00');
  });
});

describe('parseZonedTimestamp', () => {
  it("reads what Flower's clients write (microseconds) and what this one writes (milliseconds)", () => {
    expect(parseZonedTimestamp('2026-03-01T12:00:00.123456+00:00')).toBeCloseTo(NOW + 123.456, 6);
    expect(parseZonedTimestamp('2026-03-01T12:00:00.123+00:00')).toBe(NOW + 123);
    expect(parseZonedTimestamp('2026-03-01T12:00:00+00:00')).toBe(NOW);
  });

  it('applies the zone', () => {
    expect(parseZonedTimestamp('2026-03-01T13:30:00+01:30')).toBe(NOW);
    expect(parseZonedTimestamp('2026-03-01T10:00:00-0200')).toBe(NOW);
    expect(parseZonedTimestamp('2026-03-01T12:00:00Z')).toBe(NOW);
  });

  it('refuses a timestamp without a zone or that is not a timestamp', () => {
    expect(parseZonedTimestamp('2026-03-01T12:00:00')).toBeUndefined();
    expect(parseZonedTimestamp('yesterday')).toBeUndefined();
    expect(parseZonedTimestamp('')).toBeUndefined();
  });
});

describe('checkSignedMetadata', () => {
  it('accepts a fresh signature and returns the verified key', () => {
    expect(checkSignedMetadata(signedAt(0), NOW)).toEqual({ ok: true, publicKey: identity.publicKeyPem });
  });

  it('reports missing or empty values as the SuperLink does', () => {
    const { publicKey, timestamp, signature } = signedAt(0);
    const missing = { ok: false, reason: 'Missing authentication metadata' };
    expect(checkSignedMetadata({ timestamp, signature }, NOW)).toEqual(missing);
    expect(checkSignedMetadata({ publicKey, signature }, NOW)).toEqual(missing);
    expect(checkSignedMetadata({ publicKey, timestamp, signature: new Uint8Array() }, NOW)).toEqual(missing);
  });

  it('refuses a tampered signature, a signature by another key, and a re-dated timestamp', () => {
    const good = signedAt(0);
    const flipped = new Uint8Array(good.signature);
    flipped[10]! ^= 0x01;
    const invalid = { ok: false, reason: 'Invalid signature' };
    expect(checkSignedMetadata({ ...good, signature: flipped }, NOW)).toEqual(invalid);
    expect(checkSignedMetadata({ ...good, publicKey: generateNodeIdentity().publicKeyPem }, NOW)).toEqual(invalid);
    expect(checkSignedMetadata({ ...good, timestamp: flowerTimestamp(new Date(NOW + 1)) }, NOW)).toEqual(invalid);
    expect(checkSignedMetadata({ ...good, signature: new Uint8Array([1, 2, 3]) }, NOW)).toEqual(invalid);
  });

  it('refuses a public key that is not a PEM EC key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    const good = signedAt(0);
    expect(checkSignedMetadata({ ...good, publicKey: Buffer.from(rsa) }, NOW)).toEqual({ ok: false, reason: 'Invalid public key' });
    expect(checkSignedMetadata({ ...good, publicKey: Buffer.from('not a key') }, NOW)).toEqual({ ok: false, reason: 'Invalid public key' });
  });

  it('accepts timestamps strictly inside 5 s ahead .. 305 s old, like the SuperLink', () => {
    const invalid = { ok: false, reason: 'Invalid timestamp' };
    expect(checkSignedMetadata(signedAt(4_999), NOW).ok).toBe(true);
    expect(checkSignedMetadata(signedAt(5_000), NOW)).toEqual(invalid);
    expect(checkSignedMetadata(signedAt(-304_999), NOW).ok).toBe(true);
    expect(checkSignedMetadata(signedAt(-305_000), NOW)).toEqual(invalid);
    expect(checkSignedMetadata(signedAt(-3_600_000), NOW)).toEqual(invalid);
  });

  it('refuses a validly signed timestamp without a zone', () => {
    const timestamp = '2026-03-01T12:00:00.000';
    const signature = identity.sign(Buffer.from(timestamp, 'ascii'));
    expect(checkSignedMetadata({ publicKey: identity.publicKeyPem, timestamp, signature }, NOW)).toEqual({
      ok: false,
      reason: 'Invalid timestamp',
    });
  });
});
