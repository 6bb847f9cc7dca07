// Test helper (plain Node): Fleet servers on raw HTTP/1.1 and HTTP/2, as a hostile server would write them: an answer may claim any length and send any bytes.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { FleetRpcError, type FleetHandler } from '../../../../main/federation/transport/fleet-handler.js';
import { FLEET_RPCS, grpcPath, rpcForRestPath, type FleetRpc } from '../../../../main/federation/transport/rpc.js';
import type { FleetServer, FleetServerOptions } from '../../../../main/federation/transport/server-options.js';

/**
 * What a hostile server answers one call with: any bytes, framed honestly (over gRPC, `gzipped` sends them compressed,
 * as grpc-encoding gzip); or a flood that declares `declared` bytes (null: no length, over REST) and sends filler for
 * as long as the client reads, up to what it declared.
 */
export type HostileAnswer = { bytes: Uint8Array; gzipped?: boolean } | { flood: { declared: number | null } };

/** How far a flood got before the client stopped it. */
export interface Flood {
  rpc: FleetRpc;
  declared: number | null;
  /** Filler bytes the server managed to hand to the socket. */
  sent: number;
  /** The client stopped reading (or every declared byte went). */
  ended: boolean;
}

/** The next calls' hostile answers, per RPC, each used once; the floods they caused. */
export class Hostility {
  readonly floods: Flood[] = [];
  readonly #queue: { rpc: FleetRpc; answer: HostileAnswer }[] = [];

  /** The next call of `rpc` gets `answer` instead of the fleet's own. */
  next(rpc: FleetRpc, answer: HostileAnswer): void {
    this.#queue.push({ rpc, answer });
  }

  take(rpc: FleetRpc): HostileAnswer | undefined {
    const index = this.#queue.findIndex((entry) => entry.rpc === rpc);
    return index === -1 ? undefined : this.#queue.splice(index, 1)[0]!.answer;
  }

  /** The newest flood, once it has ended. */
  async lastFlood(timeoutMs = 20_000): Promise<Flood> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const flood = this.floods.at(-1);
      if (flood?.ended) return flood;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for a flood to end`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Starts a flood of `rpc`; `pour` ends it. */
  flood(rpc: FleetRpc, declared: number | null): Flood {
    const flood = { rpc, declared, sent: 0, ended: false };
    this.floods.push(flood);
    return flood;
  }
}

type Serve = (handler: FleetHandler, options: FleetServerOptions) => Promise<FleetServer>;

const FILLER = Buffer.alloc(64 * 1024, 0x5a);

/** Writes filler until `total` bytes went or the stream is gone, waiting for the socket to drain as an honest sender does. */
async function pour(out: NodeJS.WritableStream & { destroyed: boolean }, total: number, flood: Flood): Promise<void> {
  try {
    await pourUntilStopped(out, total, flood);
  } finally {
    flood.ended = true;
  }
}

async function pourUntilStopped(out: NodeJS.WritableStream & { destroyed: boolean }, total: number, flood: Flood): Promise<void> {
  while (!out.destroyed && flood.sent < total) {
    const piece = FILLER.subarray(0, Math.min(FILLER.length, total - flood.sent));
    flood.sent += piece.length;
    if (!out.write(piece)) {
      const drained = await new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => () => {
          out.removeListener('drain', onDrain);
          out.removeListener('close', onClose);
          resolve(ok);
        };
        const onDrain = done(true);
        const onClose = done(false);
        out.once('drain', onDrain);
        out.once('close', onClose);
      });
      if (!drained) return;
    }
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** REST as Flower serves it, answering through `hostility` first. Fleet refusals go out as HTTP 500, as Flower's REST routes send them. */
export function hostileRest(hostility: Hostility): Serve {
  return async (handler, options) => {
    const server = http.createServer((request, response) => void serveRest(request, response, handler, hostility));
    await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
    return { port: (server.address() as AddressInfo).port, close: () => closeHttp(server) };
  };
}

async function serveRest(request: IncomingMessage, response: ServerResponse, handler: FleetHandler, hostility: Hostility): Promise<void> {
  response.on('error', () => {});
  const rpc = rpcForRestPath(request.url ?? '');
  const body = await readAll(request);
  if (!rpc) return void response.writeHead(404).end();
  const hostile = hostility.take(rpc);
  if (hostile && 'flood' in hostile) {
    const { declared } = hostile.flood;
    const flood = hostility.flood(rpc, declared);
    response.writeHead(200, { 'Content-Type': 'application/protobuf', ...(declared === null ? {} : { 'Content-Length': declared }) });
    await pour(response, declared ?? Number.MAX_SAFE_INTEGER, flood);
    response.destroy();
    return;
  }
  try {
    const answer = hostile ? hostile.bytes : await handler(rpc, new Uint8Array(body), { transport: 'rest' });
    response.writeHead(200, { 'Content-Type': 'application/protobuf', 'Content-Length': answer.byteLength }).end(answer);
  } catch (error) {
    const detail = Buffer.from(JSON.stringify({ detail: (error as Error).message }));
    response
      .writeHead(error instanceof FleetRpcError ? 500 : 503, { 'Content-Type': 'application/json', 'Content-Length': detail.byteLength })
      .end(detail);
  }
}

function closeHttp(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const rpcByGrpcPath = new Map<string, FleetRpc>(FLEET_RPCS.map((rpc) => [grpcPath(rpc), rpc]));

/** gRPC by hand over HTTP/2: the 5-byte length prefix is whatever the hostile answer says. Calls are not checked for their signature. */
export function hostileGrpc(hostility: Hostility): Serve {
  return async (handler, options) => {
    const server = http2.createServer();
    server.on('stream', (stream, headers) => void serveGrpc(stream, String(headers[':path']), handler, hostility));
    await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on('session', (session) => {
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
    });
    return {
      port: (server.address() as AddressInfo).port,
      close: () => {
        for (const session of sessions) session.destroy();
        return new Promise((resolve) => server.close(() => resolve()));
      },
    };
  };
}

/** gRPC's message prefix: a compressed flag, then the length. */
function prefix(length: number, compressed = false): Buffer {
  const header = Buffer.alloc(5);
  header[0] = compressed ? 1 : 0;
  header.writeUInt32BE(length, 1);
  return header;
}

async function serveGrpc(stream: ServerHttp2Stream, path: string, handler: FleetHandler, hostility: Hostility): Promise<void> {
  stream.on('error', () => {});
  const rpc = rpcByGrpcPath.get(path);
  const request = (await readAll(stream)).subarray(5);
  if (!rpc) return void stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true });
  const hostile = hostility.take(rpc);
  if (hostile && 'flood' in hostile) {
    const declared = hostile.flood.declared ?? 0xffffffff;
    const flood = hostility.flood(rpc, declared);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    stream.write(prefix(declared));
    await pour(stream, declared, flood);
    stream.destroy();
    return;
  }
  try {
    const answer = hostile ? hostile.bytes : await handler(rpc, new Uint8Array(request), { transport: 'grpc' });
    const gzipped = hostile?.gzipped === true;
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', ...(gzipped && { 'grpc-encoding': 'gzip' }) },
      { waitForTrailers: true },
    );
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.concat([prefix(answer.byteLength, gzipped), answer]));
  } catch (error) {
    const code = error instanceof FleetRpcError ? error.grpcStatus : 13;
    const status = { 'grpc-status': String(code), 'grpc-message': encodeURIComponent((error as Error).message) };
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...status }, { endStream: true });
  }
}
