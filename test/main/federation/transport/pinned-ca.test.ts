// Tests (Node): a pinned CA on both transports, with two CAs made at test time (openssl CLI): the pinned server is reached,
// a server whose certificate another CA signed is refused with a message that says so, and a swapped CA file is refused before connecting.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../../../main/federation/transport/create-transport.js';
import type { TransportKind, TransportOptions, TransportSecurity } from '../../../../main/federation/transport/fleet-transport.js';
import { generateNodeIdentity } from '../../../../main/federation/transport/node-identity.js';
import type { FleetServer } from '../../../../main/federation/transport/server-options.js';
import {
  echoed,
  echoHandler,
  makeExpiredServerCertificate,
  makeServerCertificate,
  makeTestCertificates,
  startServer,
  transportFailure,
  type TestCertificates,
} from './fixtures.js';

let dir: string;
let certs: TestCertificates;
let pin: string;
let otherPin: string;
/** Both CAs in one file: a trust store (the system's, say) that trusts the other CA too, so only the pin tells them apart. */
let bothCasFile: string;
/** The same server, its certificate now signed by the other CA: what a changed certificate looks like. */
let changed: { certFile: string; keyFile: string };
/** The same server, its certificate from the pinned CA but expired: not renewed in time. */
let expired: { certFile: string; keyFile: string };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-pin-'));
  certs = makeTestCertificates(dir);
  changed = makeServerCertificate(dir, 'other-ca', 'changed-server');
  expired = makeExpiredServerCertificate(dir, 'ca', 'expired-server');
  pin = new X509Certificate(await readFile(certs.caFile)).fingerprint256;
  otherPin = new X509Certificate(await readFile(certs.otherCaFile)).fingerprint256;
  bothCasFile = path.join(dir, 'both.pem');
  await writeFile(bothCasFile, Buffer.concat([await readFile(certs.caFile), await readFile(certs.otherCaFile)]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(kind: TransportKind, port: number, security: TransportSecurity): TransportOptions {
  const address = `127.0.0.1:${port}`;
  return kind === 'grpc' ? { kind, address, identity: generateNodeIdentity(), ...security } : { kind, address, ...security };
}

describe.each<TransportKind>(['grpc', 'rest'])('%s with a pinned CA', (kind) => {
  let pinned: FleetServer;
  let moved: FleetServer;
  let lapsed: FleetServer;
  beforeAll(async () => {
    pinned = await startServer(kind, echoHandler, { certFile: certs.certFile, keyFile: certs.keyFile });
    moved = await startServer(kind, echoHandler, changed);
    lapsed = await startServer(kind, echoHandler, expired);
  });
  afterAll(async () => {
    await pinned.close();
    await moved.close();
    await lapsed.close();
  });

  it('reaches the server whose certificate the pinned CA signed', async () => {
    const client = await createTransport(options(kind, pinned.port, { rootCertificatesFile: certs.caFile, pinnedCaSha256: pin }));
    expect(await client.call('ActivateNode', Buffer.from('key'))).toEqual(echoed('ActivateNode', Buffer.from('key')));
    client.close();
  });

  it('refuses a changed server certificate (another CA) for good, saying the certificate is not from the pinned CA', async () => {
    const client = await createTransport(options(kind, moved.port, { rootCertificatesFile: certs.caFile, pinnedCaSha256: pin }));
    const error = await transportFailure(client.call('RegisterNode', new Uint8Array([1])));
    expect(error.code).toBe('CERTIFICATE_CHANGED');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`the server's certificate is not from the pinned CA ${pin}`);
    client.close();
  });

  it('refuses an expired certificate from the pinned CA as expired, not as a changed certificate', async () => {
    const client = await createTransport(options(kind, lapsed.port, { rootCertificatesFile: certs.caFile, pinnedCaSha256: pin }));
    const error = await transportFailure(client.call('RegisterNode', new Uint8Array([1])));
    expect(error.code).toBe('CERTIFICATE_EXPIRED');
    expect(error.message).toContain("the server's certificate has expired, or is not valid yet");
    expect(error.message).not.toContain('not from the pinned CA');
    client.close();
  });

  it('refuses it too when the trust store also trusts the other CA: the chain must lead to the pinned one', async () => {
    const trusting = await createTransport(options(kind, moved.port, { rootCertificatesFile: bothCasFile }));
    expect(await trusting.call('GetRun', Buffer.from('x'))).toEqual(echoed('GetRun', Buffer.from('x'))); // without the pin it connects
    trusting.close();
    const client = await createTransport(options(kind, moved.port, { rootCertificatesFile: bothCasFile, pinnedCaSha256: pin }));
    const error = await transportFailure(client.call('RegisterNode', new Uint8Array([1])));
    expect(error.code).toBe('CERTIFICATE_CHANGED');
    expect(error.message).toContain('does not lead to the pinned CA (issued by Tributary test other-ca)');
    client.close();
    const other = await createTransport(options(kind, moved.port, { rootCertificatesFile: bothCasFile, pinnedCaSha256: otherPin }));
    expect(await other.call('GetRun', Buffer.from('y'))).toEqual(echoed('GetRun', Buffer.from('y')));
    other.close();
  });
});

describe('a certificate from the pinned CA for another host name', () => {
  it('is refused with the name mismatch, not taken for a changed CA', async () => {
    const elsewhere = makeServerCertificate(dir, 'ca', 'elsewhere', 'DNS:elsewhere.example');
    const server = await startServer('rest', echoHandler, elsewhere);
    const client = await createTransport(options('rest', server.port, { rootCertificatesFile: certs.caFile, pinnedCaSha256: pin }));
    const error = await transportFailure(client.call('GetRun', new Uint8Array([1])));
    expect(error.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(error.message).not.toContain('pinned CA');
    client.close();
    await server.close();
  });
});

describe('the CA file against the pin', () => {
  it('refuses a CA file that is not the pinned CA before connecting, naming both fingerprints', async () => {
    const swapped = createTransport(options('rest', 1, { rootCertificatesFile: certs.otherCaFile, pinnedCaSha256: pin }));
    await expect(swapped).rejects.toThrow(`the CA file ${certs.otherCaFile} is not the pinned CA ${pin} (it holds ${otherPin})`);
  });

  it('refuses a pin with insecure: true', async () => {
    await expect(createTransport(options('grpc', 1, { insecure: true, pinnedCaSha256: pin }))).rejects.toThrow('a pinned CA needs TLS');
  });
});
