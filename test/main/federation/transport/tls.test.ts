// Tests (Node): TLS on both transports with a CA made at test time (openssl CLI), and the refusals of unclear security settings.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from '../../../../main/federation/transport/create-transport.js';
import type { TransportKind, TransportOptions, TransportSecurity } from '../../../../main/federation/transport/fleet-transport.js';
import { generateNodeIdentity } from '../../../../main/federation/transport/node-identity.js';
import type { FleetServer } from '../../../../main/federation/transport/server-options.js';
import { echoed, echoHandler, makeTestCertificates, startServer, transportFailure, type TestCertificates } from './fixtures.js';

let dir: string;
let certs: TestCertificates;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-tls-'));
  certs = makeTestCertificates(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(kind: TransportKind, port: number, security: TransportSecurity): TransportOptions {
  const address = `127.0.0.1:${port}`;
  return kind === 'grpc' ? { kind, address, identity: generateNodeIdentity(), ...security } : { kind, address, ...security };
}

describe.each<TransportKind>(['grpc', 'rest'])('%s over TLS', (kind) => {
  let server: FleetServer;
  beforeAll(async () => {
    server = await startServer(kind, echoHandler, { certFile: certs.certFile, keyFile: certs.keyFile });
  });
  afterAll(() => server.close());

  it("round-trips bytes when the client trusts the site's CA file", async () => {
    const client = await createTransport(options(kind, server.port, { rootCertificatesFile: certs.caFile }));
    expect(await client.call('ActivateNode', Buffer.from('key'))).toEqual(echoed('ActivateNode', Buffer.from('key')));
    client.close();
  });

  it('fails for good, naming the certificate problem, when the CA file is the wrong one', async () => {
    const client = await createTransport(options(kind, server.port, { rootCertificatesFile: certs.otherCaFile }));
    const error = await transportFailure(client.call('RegisterNode', new Uint8Array([1])));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/certificate/i);
    client.close();
  });

  it("uses TLS with the system's roots by default, which do not know the test CA", async () => {
    const client = await createTransport(options(kind, server.port, {}));
    const error = await transportFailure(client.call('RegisterNode', new Uint8Array([1])));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/certificate/i);
    client.close();
  });
});

describe.each<TransportKind>(['grpc', 'rest'])('a %s TLS client against a plain-text server', (kind) => {
  it('fails for good, and the server still closes', async () => {
    const plain = await startServer(kind, echoHandler);
    const client = await createTransport(options(kind, plain.port, { rootCertificatesFile: certs.caFile }));
    const error = await transportFailure(client.call('GetRun', new Uint8Array([1])));
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('wrong version number');
    client.close();
    await plain.close(50);
  });
});

describe('security settings that are refused', () => {
  it('refuses a client with both a CA file and insecure: true', async () => {
    for (const kind of ['grpc', 'rest'] as const) {
      await expect(createTransport(options(kind, 1, { rootCertificatesFile: certs.caFile, insecure: true }))).rejects.toThrow(
        'both insecure: true and a root certificates file are set',
      );
    }
  });

  it('names a CA file that cannot be read or is not PEM', async () => {
    const missing = path.join(dir, 'missing.pem');
    await expect(createTransport(options('grpc', 1, { rootCertificatesFile: missing }))).rejects.toThrow(
      `cannot read the root certificates (CA) file ${missing}`,
    );
    const notPem = path.join(dir, 'ca.der');
    await writeFile(notPem, Buffer.from([0x30, 0x82, 0x01]));
    await expect(createTransport(options('rest', 1, { rootCertificatesFile: notPem }))).rejects.toThrow(`${notPem} is not PEM`);
  });

  it('refuses a gRPC address with a scheme', async () => {
    await expect(
      createTransport({ kind: 'grpc', address: 'https://fleet.example.org:9092', identity: generateNodeIdentity() }),
    ).rejects.toThrow('give host:port');
  });

  it('refuses to serve without TLS files unless insecure: true says so, and with both', async () => {
    for (const kind of ['grpc', 'rest'] as const) {
      await expect(startServer(kind, echoHandler, { insecure: false })).rejects.toThrow(
        'needs certFile and keyFile for TLS, or insecure: true',
      );
      await expect(startServer(kind, echoHandler, { insecure: false, certFile: certs.certFile })).rejects.toThrow(
        'needs certFile and keyFile',
      );
      await expect(startServer(kind, echoHandler, { insecure: true, certFile: certs.certFile, keyFile: certs.keyFile })).rejects.toThrow(
        'drop one of them',
      );
    }
  });
});
