// Runs in Node: P-384 key pairs as Flower's SecAgg+ keeps them (PEM bytes) and the Fernet key two of them agree on.
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';

import { SecAggError } from './errors.js';

/** A PEM key of P-384 is about 300 bytes; anything much larger is not one. */
export const MAX_PEM_BYTES = 1024;

/** PEM PKCS8 private key and PEM SubjectPublicKeyInfo public key, byte for byte what Python's `cryptography` writes. */
export interface KeyPair {
  privatePem: Uint8Array;
  publicPem: Uint8Array;
}

/** A fresh SECP384R1 pair, as Flower's generate_key_pairs + private_key_to_bytes / public_key_to_bytes. */
export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  return {
    privatePem: new Uint8Array(Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }))),
    publicPem: new Uint8Array(Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }))),
  };
}

/** Parses a PEM public key and refuses anything but a P-384 EC key; `what` names it in the error. */
export function publicKeyFromPem(pem: Uint8Array, what: string): KeyObject {
  return checkCurve(
    parsePem(pem, what, (text) => createPublicKey({ key: text, format: 'pem' })),
    what,
  );
}

/** Parses a PEM PKCS8 private key and refuses anything but a P-384 EC key. */
export function privateKeyFromPem(pem: Uint8Array, what: string): KeyObject {
  return checkCurve(
    parsePem(pem, what, (text) => createPrivateKey({ key: text, format: 'pem' })),
    what,
  );
}

/**
 * Flower's generate_shared_key: ECDH on P-384, HKDF-SHA256 of the secret to 32 bytes (no salt, no info), then
 * urlsafe base64 with its padding: the 44 ASCII bytes that are both a Fernet key and a mask seed.
 */
export function sharedFernetKey(privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  const secret = diffieHellman({ privateKey, publicKey });
  const derived = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), Buffer.alloc(0), 32));
  return new Uint8Array(Buffer.from(derived.toString('base64').replaceAll('+', '-').replaceAll('/', '_'), 'ascii'));
}

function parsePem(pem: Uint8Array, what: string, parse: (text: string) => KeyObject): KeyObject {
  if (pem.length > MAX_PEM_BYTES) throw new SecAggError(`${what}: a PEM key of ${pem.length} bytes is larger than ${MAX_PEM_BYTES}`);
  try {
    return parse(Buffer.from(pem).toString('ascii'));
  } catch (error) {
    throw new SecAggError(`${what}: not a PEM key (${(error as Error).message})`, { cause: error });
  }
}

function checkCurve(key: KeyObject, what: string): KeyObject {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'secp384r1')
    throw new SecAggError(`${what}: expected an EC key on secp384r1, got ${key.asymmetricKeyType ?? 'unknown'} ${curve ?? ''}`.trim());
  return key;
}
