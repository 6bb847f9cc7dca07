// Runs in the console's process (plain Node): serves the built renderer and the contract's WebSocket on 127.0.0.1, all behind one token.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { rendererFile, rendererHeaders } from '../services/renderer-files.js';
import type { ServicesClient } from '../services/services-client.js';
import { newAccessToken, tokenMatches } from './access-token.js';
import { bridgeSocket } from './ws-bridge.js';

interface ConsoleServerOptions {
  rendererDir: string;
  services: ServicesClient;
  /** 0 (the default) picks a free port. */
  port?: number;
}

export interface ConsoleServer {
  /** `http://127.0.0.1:PORT/<token>/`: the only way in. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
/**
 * The contract's largest request is config.save (or config.validate): a path of 4,096 UTF-16 units and a config text
 * of 1,000,000. JSON writes a unit in at most 6 bytes (a control character or a lone surrogate becomes `\u001f`), so
 * the largest message the contract admits is 6 x 1,004,096 bytes plus its envelope: 6,024,576 + under 100 < 6 MiB.
 * A frame declaring more is not the app talking: ws refuses it (1009) from its header, before reading the payload.
 */
export const MAX_MESSAGE_BYTES = 6 * 1024 * 1024;

/**
 * Every path starts with the token (`/<token>/...`), so the page's relative URLs (its scripts, its styles, the
 * socket) carry it without cookies. A request without it is refused (403), as is one whose Host header is not
 * this address (DNS rebinding) and a socket opened from another origin.
 */
export async function startConsoleServer({ rendererDir, services, port = 0 }: ConsoleServerOptions): Promise<ConsoleServer> {
  const token = newAccessToken();
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  // A plain request's socket errors are Node's to handle ('clientError': a 400 if nothing was sent yet, then destroy),
  // and a request or response stream emits 'error' only to listeners: a peer that resets or sends garbage ends its own socket.
  const server = createServer((request, response) => {
    serveFile(request, response, token, rendererDir).catch((error: unknown) => serverError(response, error));
  });
  server.on('upgrade', (request, socket, head) => {
    // Node hands over an upgraded socket without its error handler; ws adds its own only once it takes the socket.
    socket.on('error', () => socket.destroy());
    if (!isSocketAllowed(request, token)) return refuseUpgrade(socket);
    sockets.handleUpgrade(request, socket, head, (ws) => bridgeSocket(ws, services));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${bound}/${token}/`,
    port: bound,
    close: async () => {
      sockets.clients.forEach((client) => client.terminate());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The path's segments after the token (`/<token>/assets/x.js` gives ['assets', 'x.js'], `/<token>/` gives [''],
 * `/<token>` gives []), or null when the request has no valid token or names another host.
 */
function requestedPath(request: IncomingMessage, token: string): string[] | null {
  const url = URL.parse(request.url ?? '/', `http://${HOST}`);
  if (!isOwnHost(request) || url === null) return null;
  const [, first, ...rest] = url.pathname.split('/');
  return tokenMatches(first, token) ? rest : null;
}

async function serveFile(request: IncomingMessage, response: ServerResponse, token: string, rendererDir: string): Promise<void> {
  const inner = requestedPath(request, token);
  if (inner === null) return plain(response, 403, 'forbidden: open the URL the console printed (it carries the access token)');
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(response, 405, 'method not allowed');
  // `/<token>` alone: the page's relative URLs need the trailing slash.
  if (inner.length === 0) return redirect(response, `/${token}/`);
  const file = rendererFile(rendererDir, inner.join('/'));
  const body = file && (await readFile(file).catch(() => undefined));
  if (!file || !body) return plain(response, 404, 'not found');
  response.writeHead(200, rendererHeaders(file));
  response.end(request.method === 'HEAD' ? undefined : body);
}

function isSocketAllowed(request: IncomingMessage, token: string): boolean {
  const origin = request.headers.origin;
  return requestedPath(request, token)?.join('/') === 'api' && origin !== undefined && origin === `http://${request.headers.host}`;
}

/** The Host header names this address: a page on another name that resolves here (DNS rebinding) gets nothing. */
function isOwnHost(request: IncomingMessage): boolean {
  const port = request.socket.localPort;
  return request.headers.host === `${HOST}:${port}` || request.headers.host === `localhost:${port}`;
}

function refuseUpgrade(socket: Duplex): void {
  socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

/** What went wrong is said in the console's log, never to the browser: the page only learns the request failed. */
function serverError(response: ServerResponse, error: unknown): void {
  console.error(`tributary console: a request failed: ${(error as Error).message}`);
  if (response.headersSent) response.destroy();
  else plain(response, 500, 'internal error');
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  response.end(`${text}\n`);
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(302, { location, 'referrer-policy': 'no-referrer' });
  response.end();
}
