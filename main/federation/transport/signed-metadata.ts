// Runs anywhere in main: the signed gRPC metadata of Flower's node auth (public key, timestamp, signature), made and checked.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { NodeIdentity } from './node-identity.js';

export const PUBLIC_KEY_HEADER = 'flwr-public-key-bin';
export const TIMESTAMP_HEADER = 'flwr-timestamp';
export const SIGNATURE_HEADER = 'flwr-signature-bin';

/** Flower's SuperLink accepts a timestamp at most this far ahead of its clock (clock drift)... */
const MAX_CLOCK_AHEAD_MS = 5_000;
/** ...and at most this old (300 s of validity plus the same drift). Both bounds are exclusive. */
const MAX_AGE_MS = 305_000;

export interface SignedMetadata {
  publicKey: Uint8Array;
  timestamp: string;
  signature: Uint8Array;
}

/** `2026-01-01T00:00:00.000+00:00`: ISO-8601 with an explicit zone, which Python's `fromisoformat` reads as UTC. */
export function flowerTimestamp(at: Date): string {
  return at.toISOString().replace('Z', '+00:00');
}

export function signMetadata(identity: NodeIdentity, at: Date = new Date()): SignedMetadata {
  const timestamp = flowerTimestamp(at);
  return { publicKey: identity.publicKeyPem, timestamp, signature: identity.sign(Buffer.from(timestamp, 'ascii')) };
}

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Milliseconds since the epoch of an ISO-8601 timestamp with a zone, or undefined. A timestamp without a zone is
 * refused: the SuperLink cannot compare it with its own clock either.
 */
export function parseZonedTimestamp(text: string): number | undefined {
  const match = ISO_WITH_ZONE.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const local = Date.UTC(+year!, +month! - 1, +day!, +hour!, +minute!, +second!) + Number(`0.${fraction || '0'}`) * 1000;
  return Number.isNaN(local) ? undefined : local - zoneOffsetMs(zone);
}

function zoneOffsetMs(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.replace(':', '');
  const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
  return (digits.startsWith('-') ? -1 : 1) * minutes * 60_000;
}

export type MetadataCheck = { ok: true; publicKey: Uint8Array } | { ok: false; reason: string };

/**
 * The SuperLink's checks in its order and words: all three values present (exactly one each, non-empty), the
 * signature valid for the key, then the timestamp inside the window around `nowMs`.
 */
export function checkSignedMetadata(metadata: Partial<SignedMetadata>, nowMs: number = Date.now()): MetadataCheck {
  const { publicKey, timestamp, signature } = metadata;
  if (!publicKey?.length || !timestamp || !signature?.length) return { ok: false, reason: 'Missing authentication metadata' };
  const key = ecPublicKey(publicKey);
  if (!key) return { ok: false, reason: 'Invalid public key' };
  if (!signatureIsValid(key, timestamp, signature)) return { ok: false, reason: 'Invalid signature' };
  const signedAt = parseZonedTimestamp(timestamp);
  if (signedAt === undefined) return { ok: false, reason: 'Invalid timestamp' };
  const age = nowMs - signedAt;
  if (!(age > -MAX_CLOCK_AHEAD_MS && age < MAX_AGE_MS)) return { ok: false, reason: 'Invalid timestamp' };
  return { ok: true, publicKey };
}

function ecPublicKey(pem: Uint8Array): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: Buffer.from(pem), format: 'pem' });
    return key.asymmetricKeyType === 'ec' ? key : undefined;
  } catch {
    return undefined;
  }
}

function signatureIsValid(key: KeyObject, timestamp: string, signature: Uint8Array): boolean {
  try {
    return verify('sha256', Buffer.from(timestamp, 'ascii'), key, signature);
  } catch {
    return false;
  }
}
