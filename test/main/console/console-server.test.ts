// Tests (Node, real sockets): the console server: the token on every request, the Host and Origin checks, and the contract over its WebSocket.
import { promises as fsp } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { EventName } from '../../../common/contract/contract.js';
import { decodeWire, encodeWire } from '../../../common/contract/wire-json.js';
import { startConsoleServer } from '../../../main/console/console-server.js';
import type { ConsoleServer } from '../../../main/console/console-server.js';
import type { EventListener, ServicesClient } from '../../../main/services/services-client.js';
import { tempDir } from '../../fixtures/corpus.js';

let dir: string;
let server: ConsoleServer;
let token: string;
const listeners = new Set<EventListener>();
const services = {
  call: vi.fn(async (method: string, args: unknown) => ({ ok: true as const, value: { method, args, png: Uint8Array.of(1, 2, 3) } })),
  subscribe: (listener: EventListener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
} satisfies ServicesClient;
const emit = (event: EventName, payload: unknown) => listeners.forEach((listener) => listener(event, payload));

beforeAll(async () => {
  dir = await tempDir('tributary-console-');
  await fsp.mkdir(path.join(dir, 'assets'));
  await fsp.writeFile(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
  await fsp.writeFile(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
  await fsp.writeFile(path.join(path.dirname(dir), 'outside.txt'), 'secret');
  server = await startConsoleServer({ rendererDir: dir, services });
  token = new URL(server.url).pathname.split('/')[1]!;
});
afterAll(async () => {
  await server.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** A raw GET, so the test controls the path and the Host header exactly. */
function get(
  pathname: string,
  host = `127.0.0.1:${server.port}`,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: pathname, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function socket(pathname = `/${token}/api`, origin = `http://127.0.0.1:${server.port}`): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${pathname}`, { origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(decodeWire(data.toString()) as Record<string, unknown>)));
}

describe('HTTP', () => {
  it('prints a URL on 127.0.0.1 with a 256-bit token in its path', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{43}\/$/);
  });

  it('serves the renderer under the token, with the security headers', async () => {
    const page = await get(`/${token}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>app</title>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(await get(`/${token}/assets/app.js`)).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/javascript; charset=utf-8' },
    });
    expect(await get(`/${token}`)).toMatchObject({ status: 302, headers: { location: `/${token}/` } });
  });

  it('refuses every request without the token, or with another one', async () => {
    for (const pathname of ['/', '/index.html', '/assets/app.js', '/favicon.ico', `/${token.slice(1)}/`, `/${token}x/`, `/x/${token}/`]) {
      expect((await get(pathname)).status, pathname).toBe(403);
    }
  });

  it('refuses a Host header that is not this address (DNS rebinding)', async () => {
    expect((await get(`/${token}/`, `evil.example:${server.port}`)).status).toBe(403);
    expect((await get(`/${token}/`, `localhost:${server.port}`)).status).toBe(200);
  });

  it('serves nothing outside the renderer folder', async () => {
    for (const pathname of [
      `/${token}/../outside.txt`,
      `/${token}/%2e%2e/outside.txt`,
      `/${token}/assets/..%2F..%2Foutside.txt`,
      `/${token}/nope.js`,
    ]) {
      const response = await get(pathname);
      expect(response.status, pathname).toBeGreaterThanOrEqual(400);
      expect(response.body).not.toContain('secret');
    }
  });
});

describe('WebSocket', () => {
  it('refuses a socket without the token, on another path, or from another origin', async () => {
    await expect(socket('/api')).rejects.toThrow('refused: 403');
    await expect(socket(`/${token}/other`)).rejects.toThrow('refused: 403');
    await expect(socket(`/${token}/api`, 'http://evil.example')).rejects.toThrow('refused: 403');
  });

  it('answers a call with its envelope, bytes as bytes', async () => {
    const ws = await socket();
    ws.send(encodeWire({ id: 7, method: 'dataset.preview', args: { file: 'p.yaml' } }));
    const reply = await nextMessage(ws);
    expect(reply).toEqual({
      id: 7,
      result: {
        ok: true,
        value: { method: 'dataset.preview', args: { file: 'p.yaml', split: 'train', n: 24, seed: 0 }, png: Uint8Array.of(1, 2, 3) },
      },
    });
    ws.close();
  });

  it('checks arguments at the door, as the desktop does: the services never see a bad call', async () => {
    services.call.mockClear();
    const ws = await socket();
    ws.send(encodeWire({ id: 1, method: 'config.open', args: { file: '/etc/shadow' } }));
    expect(await nextMessage(ws)).toMatchObject({ id: 1, result: { ok: false, error: { code: 'bad-request' } } });
    ws.send(encodeWire({ id: 2, method: 'config.delete', args: {} }));
    expect(await nextMessage(ws)).toMatchObject({
      id: 2,
      result: { ok: false, error: { code: 'bad-request', message: 'no method "config.delete"' } },
    });
    expect(services.call).not.toHaveBeenCalled();
    ws.close();
  });

  it('closes a socket that sends anything but a request (policy violation)', async () => {
    const ws = await socket();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('{"hello":');
    expect(await closed).toBe(1008);
  });

  it('relays every event to every open socket, and stops when the socket closes', async () => {
    const ws = await socket();
    const message = nextMessage(ws);
    emit('dataset.scanProgress', { file: '/p.yaml', split: 'train', done: 1, total: 2 });
    expect(await message).toEqual({ event: 'dataset.scanProgress', payload: { file: '/p.yaml', split: 'train', done: 1, total: 2 } });
    const before = listeners.size;
    ws.close();
    await vi.waitFor(() => expect(listeners.size).toBe(before - 1));
  });
});
