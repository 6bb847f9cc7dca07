// Runs anywhere in main: serves the Fleet RPCs as Flower's REST API (POST raw protobuf to /api/v0/fleet/<name>).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { asBuffer, asBytes } from './bytes.js';
import { refusalFor, type FleetHandler } from './fleet-handler.js';
import { mediaTypeOf, PROTOBUF_MEDIA_TYPE, rpcForRestPath, type FleetRpc } from './rpc.js';
import { DEFAULT_MAX_REQUEST_BYTES, hostPort, readServerTls, type FleetServer, type FleetServerOptions } from './server-options.js';

/** An HTTP answer other than 200, with the detail a person debugging with curl needs. */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
  }
}

export async function startRestServer(handler: FleetHandler, options: FleetServerOptions): Promise<FleetServer> {
  const tls = await readServerTls(options);
  let closing = false;
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    void serve(request, response, handler, options, () => closing);
  };
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, listener) : http.createServer(listener);
  await listen(server, options);
  return {
    port: (server.address() as AddressInfo).port,
    close: (graceMs = 5_000) => {
      closing = true;
      return closeGracefully(server, graceMs);
    },
  };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  handler: FleetHandler,
  options: FleetServerOptions,
  closing: () => boolean,
): Promise<void> {
  const send: Send = (status, headers, body) => {
    // Once closing, every answer ends its connection: an idle keep-alive socket would hold close() up.
    response.writeHead(status, closing() ? { ...headers, Connection: 'close' } : headers).end(body);
  };
  const rpc = routeOf(request);
  if (rpc instanceof HttpRefusal) return refuse(send, rpc.status, rpc.message);
  try {
    const body = await readBody(request, options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
    const answer = await handler(rpc, asBytes(body), { transport: 'rest' });
    send(200, { 'Content-Type': PROTOBUF_MEDIA_TYPE, 'Content-Length': answer.byteLength }, asBuffer(answer));
  } catch (error) {
    if (response.socket?.destroyed !== false) return; // the client left: nobody to answer
    const { status, detail } = failureOf(error, rpc, options);
    refuse(send, status, detail);
  }
}

function failureOf(error: unknown, rpc: FleetRpc, options: FleetServerOptions): { status: number; detail: string } {
  if (error instanceof HttpRefusal) return { status: error.status, detail: error.message };
  const refusal = refusalFor(error, rpc, options.onInternalError);
  return { status: refusal.httpStatus, detail: refusal.message };
}

/** Flower's checks (known route, POST, both protobuf headers), each answered with the HTTP status that names the problem. */
function routeOf(request: IncomingMessage): FleetRpc | HttpRefusal {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const rpc = rpcForRestPath(path);
  if (!rpc) return new HttpRefusal(404, `no Fleet API route ${path}`);
  if (request.method !== 'POST') return new HttpRefusal(405, `${request.method ?? ''} not allowed: Fleet API routes take POST`);
  if (mediaTypeOf(request.headers['content-type']) !== PROTOBUF_MEDIA_TYPE) {
    return new HttpRefusal(415, `Content-Type must be ${PROTOBUF_MEDIA_TYPE}`);
  }
  if (!acceptsProtobuf(request.headers.accept)) return new HttpRefusal(406, `Accept must allow ${PROTOBUF_MEDIA_TYPE}`);
  return rpc;
}

/** Flower requires the header; `*\/*` and `application/*` are what HTTP clients send when they take anything. */
function acceptsProtobuf(header: string | undefined): boolean {
  return (header ?? '')
    .split(',')
    .map(mediaTypeOf)
    .some((type) => type === PROTOBUF_MEDIA_TYPE || type === 'application/*' || type === '*/*');
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpRefusal(413, `request body over the limit of ${limit} bytes`);
  if (Number(request.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) chunks.push(chunk);
      else reject(tooLarge());
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

type Send = (status: number, headers: http.OutgoingHttpHeaders, body: Buffer) => void;

/** Errors go out as Flower's REST server writes them: JSON `{"detail": ...}`. */
function refuse(send: Send, status: number, detail: string): void {
  const body = Buffer.from(JSON.stringify({ detail }));
  send(
    status,
    { 'Content-Type': 'application/json', 'Content-Length': body.byteLength, ...(status === 405 ? { Allow: 'POST' } : {}) },
    body,
  );
}

function listen(server: http.Server, options: FleetServerOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error) =>
      reject(new Error(`cannot serve REST on ${hostPort(options.host, options.port)}: ${error.message}`, { cause: error })),
    );
    server.listen(options.port, options.host, () => resolve());
  });
}

/** Idle keep-alive connections close at once; requests in flight get `graceMs` to finish. */
function closeGracefully(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
