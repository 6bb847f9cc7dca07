// Tests (Node): fixtures for the transport tests: handlers, free ports, a TCP proxy that cuts connections, test certificates.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createTransport } from '../../../../main/federation/transport/create-transport.js';
import type { FleetHandler } from '../../../../main/federation/transport/fleet-handler.js';
import type { FleetTransport, TransportKind } from '../../../../main/federation/transport/fleet-transport.js';
import { startGrpcServer } from '../../../../main/federation/transport/grpc-server.js';
import { generateNodeIdentity } from '../../../../main/federation/transport/node-identity.js';
import { startRestServer } from '../../../../main/federation/transport/rest-server.js';
import type { FleetServer, FleetServerOptions } from '../../../../main/federation/transport/server-options.js';
import { TransportError } from '../../../../main/federation/transport/transport-error.js';

/** Answers `<rpc>:` followed by the request bytes, so a test sees both the route and the body made it. */
export const echoHandler: FleetHandler = async (rpc, request) => Buffer.concat([Buffer.from(`${rpc}:`), request]);

export function echoed(rpc: string, request: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from(`${rpc}:`), request]));
}

/** `size` bytes of a pattern a shifted or truncated copy would not match. */
export function patternBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  return bytes;
}

/** A port nothing listens on (just closed), so connecting to it is refused. */
export async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export interface TcpProxy {
  port: number;
  /** Kills every connection at once, as a crashed server or a dropped link would. */
  cut(): void;
  /** While down, every new connection is reset at once, as a server that is not (yet) back. */
  setDown(down: boolean): void;
  /** Client connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Forwards TCP to `target` on loopback, with switches to break the link. */
export async function tcpProxy(target: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let isDown = false;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined); // the cut itself makes the other side error
    socket.on('close', () => sockets.delete(socket));
  };
  const server = net.createServer((downstream) => {
    if (isDown) return void downstream.resetAndDestroy();
    accepted++;
    const upstream = net.connect(target, '127.0.0.1');
    track(downstream);
    track(upstream);
    downstream.pipe(upstream).pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = () => sockets.forEach((socket) => socket.destroy());
  return {
    port: (server.address() as net.AddressInfo).port,
    cut,
    setDown: (down) => {
      isDown = down;
      if (down) cut();
    },
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}

export interface TestCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A CA that signed nothing the server has: trusting only it must fail. */
  otherCaFile: string;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=Tributary test ${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
}

/** A CA and a server certificate for 127.0.0.1 and localhost, made with the openssl CLI in `dir`. */
export function makeTestCertificates(dir: string): TestCertificates {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  const server = makeServerCertificate(dir, 'ca', 'server');
  return { caFile: path.join(dir, 'ca.pem'), ...server, otherCaFile: path.join(dir, 'other-ca.pem') };
}

/** A server certificate for 127.0.0.1 and localhost (or `san`), `<name>.pem` and `<name>.key`, signed by the CA `<ca>.pem` made in `dir`. */
export function makeServerCertificate(
  dir: string,
  ca: string,
  name: string,
  san = 'IP:127.0.0.1,DNS:localhost',
): { certFile: string; keyFile: string } {
  openssl(dir, 'req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost');
  writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-set_serial',
    '1',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
  return { certFile: path.join(dir, `${name}.pem`), keyFile: path.join(dir, `${name}.key`) };
}

/**
 * A server certificate for 127.0.0.1 and localhost from the CA `<ca>.pem`, valid only on 2024-01-01: expired. `openssl x509`
 * in OpenSSL 3.0 cannot set a start date, `openssl ca` can, from a throwaway database of its own.
 */
export function makeExpiredServerCertificate(dir: string, ca: string, name: string): { certFile: string; keyFile: string } {
  openssl(dir, 'req', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=localhost');
  writeFileSync(path.join(dir, `${name}.ext`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const database = (file: string) => path.join(dir, `${name}.${file}`);
  writeFileSync(database('index'), '');
  writeFileSync(database('serial'), '01\n');
  writeFileSync(
    database('cnf'),
    `[ca]\ndefault_ca=expired\n[expired]\ndatabase=${database('index')}\nnew_certs_dir=${dir}\nserial=${database('serial')}\n` +
      'default_md=sha256\npolicy=any\n[any]\ncommonName=supplied\n',
  );
  openssl(
    dir,
    'ca',
    '-batch',
    '-config',
    database('cnf'),
    '-in',
    `${name}.csr`,
    '-out',
    `${name}.pem`,
    '-notext',
    '-cert',
    `${ca}.pem`,
    '-keyfile',
    `${ca}.key`,
    '-startdate',
    '20240101000000Z',
    '-enddate',
    '20240102000000Z',
    '-extfile',
    `${name}.ext`,
  );
  return { certFile: path.join(dir, `${name}.pem`), keyFile: path.join(dir, `${name}.key`) };
}

export const LOOPBACK = { host: '127.0.0.1', port: 0 } as const;

/** Either transport's server on a free loopback port; plain text unless TLS files are given. */
export function startServer(kind: TransportKind, handler: FleetHandler, options: Partial<FleetServerOptions> = {}): Promise<FleetServer> {
  const full = { ...LOOPBACK, insecure: !options.certFile, ...options };
  return kind === 'grpc' ? startGrpcServer(handler, full) : startRestServer(handler, full);
}

/** A plain-text client of either kind for a loopback port. */
export function connect(kind: TransportKind, port: number): Promise<FleetTransport> {
  return createTransport(
    kind === 'grpc'
      ? { kind, address: `127.0.0.1:${port}`, identity: generateNodeIdentity(), insecure: true }
      : { kind, address: `127.0.0.1:${port}`, insecure: true },
  );
}

/** The rejection of `call`, checked to be a TransportError. */
export async function transportFailure(call: Promise<unknown>): Promise<TransportError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TransportError)) throw new Error(`expected a TransportError, got ${String(error)}`);
  return error;
}
