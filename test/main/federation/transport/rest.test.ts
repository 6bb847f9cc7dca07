// Tests (Node): the REST transport over loopback: every RPC's bytes both ways, Flower's header rules, limits, keep-alive.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetCaller, FleetHandler } from '../../../../main/federation/transport/fleet-handler.js';
import type { FleetTransport } from '../../../../main/federation/transport/fleet-transport.js';
import { createRestTransport, restBaseUrl } from '../../../../main/federation/transport/rest-client.js';
import { startRestServer } from '../../../../main/federation/transport/rest-server.js';
import { FLEET_RPCS } from '../../../../main/federation/transport/rpc.js';
import type { FleetServer } from '../../../../main/federation/transport/server-options.js';
import { tcpProxy, echoed, echoHandler, LOOPBACK, patternBytes, transportFailure } from './fixtures.js';

const callers: FleetCaller[] = [];
const recording: FleetHandler = (rpc, request, caller) => {
  callers.push(caller);
  return echoHandler(rpc, request, caller);
};
let server: FleetServer;
let transport: FleetTransport;

beforeAll(async () => {
  server = await startRestServer(recording, { ...LOOPBACK, insecure: true, maxRequestBytes: 8 * 1024 * 1024 });
  transport = await createRestTransport({ address: `127.0.0.1:${server.port}`, insecure: true });
});
afterAll(async () => {
  transport.close();
  await server.close();
});

/** A raw HTTP request, as curl or a misbehaving client would send it. */
function rawPost(path: string, headers: http.OutgoingHttpHeaders, body: Uint8Array = new Uint8Array([1]), method = 'POST') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: server.port, path, method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, headers: response.headers, text: Buffer.concat(chunks).toString() }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

const PROTOBUF = { 'Content-Type': 'application/protobuf', Accept: 'application/protobuf' };

describe('REST round trips', () => {
  it('moves the bytes of every Fleet RPC to its handler and back', async () => {
    for (const rpc of FLEET_RPCS) {
      const request = Buffer.from(`request of ${rpc}`);
      expect(await transport.call(rpc, request)).toEqual(echoed(rpc, request));
    }
  });

  it('tells the handler the call came over REST, with no key (Flower 1.29 has no node auth on REST)', async () => {
    callers.length = 0;
    await transport.call('GetRun', new Uint8Array());
    expect(callers).toEqual([{ transport: 'rest' }]);
  });

  it('carries 6 MiB requests and responses', async () => {
    const chunk = patternBytes(6 * 1024 * 1024);
    const answer = await transport.call('PullObject', chunk);
    expect(Buffer.from(answer.subarray('PullObject:'.length)).equals(chunk)).toBe(true);
  });

  it('keeps one connection alive across calls', async () => {
    const proxy = await tcpProxy(server.port);
    const client = await createRestTransport({ address: `127.0.0.1:${proxy.port}`, insecure: true });
    for (let i = 0; i < 6; i++) await client.call('PullMessages', new Uint8Array([i]));
    expect(proxy.connections()).toBe(1);
    client.close();
    await proxy.close();
  });
});

/**
 * A server that drops a connection, without answering, when a request arrives on it after `answersPerConnection`
 * answers: what a client sees when it reuses a kept-alive socket the server closed while it was idle.
 */
async function droppingServer(answersPerConnection: number) {
  const answered = new WeakMap<object, number>();
  let requests = 0;
  const fake = http.createServer((request, response) => {
    requests++;
    const count = answered.get(request.socket) ?? 0;
    if (count >= answersPerConnection) return request.socket.destroy();
    answered.set(request.socket, count + 1);
    request.resume().on('end', () => response.writeHead(200, { 'Content-Type': 'application/protobuf' }).end(Buffer.from([7])));
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const client = await createRestTransport({ address: `127.0.0.1:${(fake.address() as AddressInfo).port}`, insecure: true });
  return {
    client,
    requests: () => requests,
    close: () => {
      client.close();
      return new Promise<void>((resolve) => fake.close(() => resolve()));
    },
  };
}

describe('REST client on kept-alive sockets the server closed', () => {
  it('sends a call again, once, on a fresh socket when its reused one was reset before any answer', async () => {
    const fake = await droppingServer(1);
    expect(Array.from(await fake.client.call('PullMessages', new Uint8Array([1])))).toEqual([7]);
    expect(Array.from(await fake.client.call('DeactivateNode', new Uint8Array([2])))).toEqual([7]);
    expect(fake.requests()).toBe(3); // the dropped one, then its repeat on a new connection
    await fake.close();
  });

  it('does not repeat a call whose fresh socket was reset: that is the server failing, not a stale socket', async () => {
    const fake = await droppingServer(0);
    expect(await transportFailure(fake.client.call('PullMessages', new Uint8Array([1])))).toMatchObject({ retryable: true });
    expect(fake.requests()).toBe(1);
    await fake.close();
  });
});

describe("the REST server's header and route rules", () => {
  it('answers 404 for a path that is no Fleet route, and 405 for a method other than POST', async () => {
    expect(await rawPost('/api/v0/fleet/no-such-rpc', PROTOBUF)).toMatchObject({
      status: 404,
      text: JSON.stringify({ detail: 'no Fleet API route /api/v0/fleet/no-such-rpc' }),
    });
    const get = await rawPost('/api/v0/fleet/get-run', PROTOBUF, undefined, 'PUT');
    expect(get).toMatchObject({ status: 405, headers: { allow: 'POST' } });
  });

  it('answers 415 without Content-Type application/protobuf, and 406 when Accept excludes it', async () => {
    expect((await rawPost('/api/v0/fleet/get-run', { Accept: 'application/protobuf' })).status).toBe(415);
    expect((await rawPost('/api/v0/fleet/get-run', { ...PROTOBUF, 'Content-Type': 'application/json' })).status).toBe(415);
    expect((await rawPost('/api/v0/fleet/get-run', { 'Content-Type': 'application/protobuf' })).status).toBe(406);
    expect((await rawPost('/api/v0/fleet/get-run', { ...PROTOBUF, Accept: 'application/json' })).status).toBe(406);
  });

  it('takes a media type with parameters, a query string, and an Accept list that allows protobuf', async () => {
    const headers = { 'Content-Type': 'application/protobuf; proto=flwr.proto.GetRunRequest', Accept: 'text/html, */*;q=0.1' };
    const answer = await rawPost('/api/v0/fleet/get-run?trace=1', headers, new Uint8Array([65]));
    expect(answer).toMatchObject({ status: 200, text: 'GetRun:A', headers: { 'content-type': 'application/protobuf' } });
  });

  it('answers 413 for a body over the limit, declared or streamed (the rest is read and dropped, never kept)', async () => {
    const big = patternBytes(8 * 1024 * 1024 + 1);
    const declared = await rawPost('/api/v0/fleet/push-object', PROTOBUF, big);
    expect(declared).toMatchObject({
      status: 413,
      text: JSON.stringify({ detail: `request body over the limit of ${8 * 1024 * 1024} bytes` }),
    });
    const streamed = await rawPost('/api/v0/fleet/push-object', { ...PROTOBUF, 'Transfer-Encoding': 'chunked' }, big);
    expect(streamed.status).toBe(413);
  });

  it('makes the client see a refusal as a TransportError with the status and the detail', async () => {
    const client = await createRestTransport({ address: `http://127.0.0.1:${server.port}/api/v1`, insecure: true });
    const error = await transportFailure(client.call('GetRun', new Uint8Array()));
    expect(error).toMatchObject({ code: 'HTTP 404', details: 'no Fleet API route /api/v1/api/v0/fleet/get-run', retryable: false });
    client.close();
  });
});

/** A stand-in for a proxy or a wrong server in front of the aggregator: answers every request the same way. */
async function fixedServer(status: number, headers: http.OutgoingHttpHeaders, body: string) {
  const fake = http.createServer((_request, response) => response.writeHead(status, headers).end(body));
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  const client = await createRestTransport({ address: `127.0.0.1:${(fake.address() as AddressInfo).port}`, insecure: true });
  return {
    client,
    close: () => {
      client.close();
      return new Promise<void>((resolve) => fake.close(() => resolve()));
    },
  };
}

describe('REST client reading answers that are not the Fleet API', () => {
  it('shows a gateway error page shortened, retryable', async () => {
    const fake = await fixedServer(502, { 'Content-Type': 'text/html' }, `<html>Bad Gateway${'.'.repeat(2000)}</html>`);
    const error = await transportFailure(fake.client.call('PullMessages', new Uint8Array()));
    expect(error).toMatchObject({ code: 'HTTP 502', retryable: true });
    expect(error.details.length).toBe(500);
    await fake.close();
  });

  it('refuses a 200 that is not protobuf, not retryable', async () => {
    const fake = await fixedServer(200, { 'Content-Type': 'text/html' }, '<html>captive portal</html>');
    const error = await transportFailure(fake.client.call('PullMessages', new Uint8Array()));
    expect(error).toMatchObject({
      code: 'BAD_RESPONSE',
      details: 'expected Content-Type application/protobuf, got text/html',
      retryable: false,
    });
    await fake.close();
  });

  it('says 429 is retryable and 401 is not', async () => {
    for (const [status, retryable] of [
      [429, true],
      [401, false],
    ] as const) {
      const fake = await fixedServer(status, { 'Content-Type': 'application/json' }, JSON.stringify({ detail: 'nope' }));
      expect(await transportFailure(fake.client.call('GetRun', new Uint8Array()))).toMatchObject({
        code: `HTTP ${status}`,
        details: 'nope',
        retryable,
      });
      await fake.close();
    }
  });
});

describe('restBaseUrl', () => {
  it('takes host:port with the scheme from insecure, and URLs whose scheme agrees with it', () => {
    expect(restBaseUrl('fleet.example.org:9095', false).href).toBe('https://fleet.example.org:9095/');
    expect(restBaseUrl('127.0.0.1:9095', true).href).toBe('http://127.0.0.1:9095/');
    expect(restBaseUrl('[::1]:9095', true).href).toBe('http://[::1]:9095/');
    expect(restBaseUrl('https://fleet.example.org/flower', false).pathname).toBe('/flower');
  });

  it('refuses plain http without insecure, https with it, and other schemes', () => {
    expect(() => restBaseUrl('http://fleet.example.org:9095', false)).toThrow('set insecure: true to allow plain text');
    expect(() => restBaseUrl('https://fleet.example.org:9095', true)).toThrow('is https but insecure: true is set');
    expect(() => restBaseUrl('ftp://fleet.example.org', false)).toThrow('only http:// and https://');
  });
});
