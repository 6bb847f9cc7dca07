// Runs in Node: Fernet tokens (AES-128-CBC + HMAC-SHA256) as Python's `cryptography` writes and reads them.
// Written over node:crypto rather than taken from npm: the npm "fernet" packages are built on crypto-js or little
// used, while the format is a version byte, a timestamp, an IV, a CBC ciphertext and an HMAC, checked here against
// tokens from `cryptography` itself (test/fixtures/secagg-vectors.json).
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { SecAggError } from './errors.js';

const VERSION = 0x80;
const HEADER_BYTES = 1 + 8 + 16; // version, big-endian timestamp, IV
const HMAC_BYTES = 32;
const BLOCK = 16;
const KEY_TEXT = /^[A-Za-z0-9_-]{43}=$/;
const TOKEN_TEXT = /^[A-Za-z0-9_-]*={0,2}$/;

/** Where a token's timestamp and IV come from; fixed only by tests that compare with `cryptography`'s own tokens. */
export interface FernetParts {
  timeSeconds: number;
  iv: Uint8Array;
}

/** `Fernet(key).encrypt(plaintext)`: the token as urlsafe base64 ASCII bytes, padded as Python pads it. */
export function fernetEncrypt(key: Uint8Array, plaintext: Uint8Array, parts?: FernetParts): Uint8Array {
  const { signing, encryption } = splitKey(key);
  const iv = parts?.iv ?? randomBytes(16);
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = VERSION;
  header.writeBigUInt64BE(BigInt(parts?.timeSeconds ?? Math.floor(Date.now() / 1000)), 1);
  Buffer.from(iv).copy(header, 9);
  const cipher = createCipheriv('aes-128-cbc', encryption, iv);
  const body = Buffer.concat([header, cipher.update(plaintext), cipher.final()]);
  const token = Buffer.concat([body, createHmac('sha256', signing).update(body).digest()]);
  return new Uint8Array(Buffer.from(toUrlsafe(token.toString('base64')), 'ascii'));
}

/**
 * `Fernet(key).decrypt(token)` with no ttl, as Flower calls it: the HMAC is checked before anything is decrypted,
 * the timestamp is not. Tokens longer than `maxTokenBytes` are refused unread.
 */
export function fernetDecrypt(key: Uint8Array, token: Uint8Array, maxTokenBytes: number): Uint8Array {
  const { signing, encryption } = splitKey(key);
  if (token.length > maxTokenBytes) throw new SecAggError(`Fernet token of ${token.length} bytes is larger than ${maxTokenBytes}`);
  const text = Buffer.from(token).toString('ascii');
  if (text.length % 4 !== 0 || !TOKEN_TEXT.test(text)) throw new SecAggError('Fernet token is not padded urlsafe base64');
  const data = Buffer.from(text, 'base64url');
  const cipherBytes = data.length - HEADER_BYTES - HMAC_BYTES;
  if (data[0] !== VERSION || cipherBytes < BLOCK || cipherBytes % BLOCK !== 0)
    throw new SecAggError(`Fernet token of ${data.length} bytes has no version byte 0x80 or no whole AES blocks`);
  const body = data.subarray(0, data.length - HMAC_BYTES);
  const expected = createHmac('sha256', signing).update(body).digest();
  if (!timingSafeEqual(expected, data.subarray(data.length - HMAC_BYTES))) throw new SecAggError('Fernet token HMAC does not match');
  const decipher = createDecipheriv('aes-128-cbc', encryption, data.subarray(9, HEADER_BYTES));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(body.subarray(HEADER_BYTES)), decipher.final()]));
  } catch (error) {
    throw new SecAggError('Fernet token padding is invalid', { cause: error });
  }
}

/** A Fernet key is 32 bytes in urlsafe base64: the first 16 sign, the last 16 encrypt. */
function splitKey(key: Uint8Array): { signing: Buffer; encryption: Buffer } {
  const text = Buffer.from(key).toString('ascii');
  if (!KEY_TEXT.test(text)) throw new SecAggError('Fernet key must be 32 bytes in padded urlsafe base64 (44 characters)');
  const raw = Buffer.from(text, 'base64url');
  return { signing: raw.subarray(0, 16), encryption: raw.subarray(16, 32) };
}

function toUrlsafe(base64: string): string {
  return base64.replaceAll('+', '-').replaceAll('/', '_');
}
