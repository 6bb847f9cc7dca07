// Runs anywhere in main: reads the certificate files a site names, with errors that say which file and what to do.
import { readFile } from 'node:fs/promises';
import type { TransportSecurity } from './fleet-transport.js';
import { checkRootsHoldPin } from './pinned-ca.js';

/** The CA bundle to trust, or undefined for the system's roots; refuses a contradictory configuration. */
export async function readRootCertificates(security: TransportSecurity): Promise<Buffer | undefined> {
  if (security.insecure && security.rootCertificatesFile) {
    throw new Error('both insecure: true and a root certificates file are set; give the CA file for TLS, or insecure: true for plain text');
  }
  if (security.insecure && security.pinnedCaSha256) throw new Error('both insecure: true and a pinned CA are set: a pinned CA needs TLS');
  if (security.rootCertificatesFile === undefined) return undefined;
  const pem = await readPem(security.rootCertificatesFile, 'root certificates (CA)');
  if (security.pinnedCaSha256) checkRootsHoldPin(pem, security.pinnedCaSha256, security.rootCertificatesFile);
  return pem;
}

export async function readPem(file: string, what: string): Promise<Buffer> {
  let pem: Buffer;
  try {
    pem = await readFile(file);
  } catch (error) {
    throw new Error(`cannot read the ${what} file ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!pem.includes('-----BEGIN ')) throw new Error(`the ${what} file ${file} is not PEM (no -----BEGIN line)`);
  return pem;
}
