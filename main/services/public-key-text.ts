// Runs in the services process (plain Node): a node's public key as text a coordinator can register: PEM, and OpenSSH's one-line form.
import type { KeyObject } from 'node:crypto';

/** OpenSSH names the NIST curves, the only ones Flower takes for node keys. */
const SSH_CURVES: Readonly<Record<string, string>> = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' };

export function publicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/**
 * `ecdsa-sha2-nistp384 AAAA… <comment>`, as `ssh-keygen -y` writes it (RFC 5656: the key type, the curve and the
 * uncompressed point, each length-prefixed): `flwr supernode register` reads only this form. Null for a curve
 * OpenSSH has no name for.
 */
export function openSshPublicKey(publicKey: KeyObject, comment: string): string | null {
  const { crv, x, y } = publicKey.export({ format: 'jwk' });
  const curve = crv === undefined ? undefined : SSH_CURVES[crv];
  if (curve === undefined || x === undefined || y === undefined) return null;
  const type = `ecdsa-sha2-${curve}`;
  const point = Buffer.concat([Buffer.of(0x04), Buffer.from(x, 'base64url'), Buffer.from(y, 'base64url')]);
  const blob = Buffer.concat([sshString(Buffer.from(type)), sshString(Buffer.from(curve)), sshString(point)]);
  return `${type} ${blob.toString('base64')} ${comment}`;
}

function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}
