// Tests (Node, real sockets, a real console process and its services): malformed HTTP and WebSocket traffic
// closes only its own connection; the console stays up.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { methods } from '../../../common/contract/contract.js';
import { decodeWire, encodeWire } from '../../../common/contract/wire-json.js';
import { MAX_MESSAGE_BYTES } from '../../../main/console/console-server.js';

const CLI = path.resolve(import.meta.dirname, '../../integration/fixtures/tributary-cli.ts');
const EXAMPLE = path.resolve('examples/image-folder/party.yaml');

let child: ChildProcess;
let exited: Promise<number | null>;
const stderr: string[] = [];
let url: URL;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', CLI, 'console', '--config', EXAMPLE], { stdio: ['ignore', 'pipe', 'pipe'] });
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const opened = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^ {2}open (\S+)$/.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`the console exited (${code}) before printing its URL:\n${stderr.join('\n')}`)));
  });
  url = new URL(opened);
  await stillServing(); // the services are up: a stop before they are would be another test
});

afterAll(async () => {
  child.kill('SIGINT');
  const code = await Promise.race([exited, sleep(30_000).then(() => 'still running 30 s after Ctrl-C')]);
  if (typeof code === 'string') child.kill('SIGKILL');
  expect(code).toBe(0);
});

/** The console process is still running, and a well-behaved page still gets its answers. */
async function stillServing(): Promise<void> {
  expect(child.exitCode, stderr.join('\n')).toBeNull();
  const ws = await page();
  try {
    expect(await call(ws, { id: 1, method: 'app.info', args: {} })).toMatchObject({
      id: 1,
      result: { ok: true, value: { startConfig: EXAMPLE } },
    });
  } finally {
    ws.close();
  }
}

function page(): Promise<WebSocket> {
  const ws = new WebSocket(new URL('api', url).href.replace(/^http/, 'ws'), { origin: url.origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The answer to `request` (events the services send meanwhile are passed over). */
function call(ws: WebSocket, request: { id: number; method: string; args: object }): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      const message = decodeWire(data.toString()) as Record<string, unknown>;
      if (message.id === request.id) resolve(message);
    });
    ws.once('close', (code) => reject(new Error(`the console closed the socket (${code}) instead of answering`)));
    ws.send(encodeWire(request));
  });
}

/** A raw TCP connection: writes `chunks` in order (a Buffer as is, a string as text), then returns all it got back once the console closes it. */
function raw(chunks: (string | Buffer)[], { reset = false } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    const socket: Socket = connect(Number(url.port), '127.0.0.1', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (reset) socket.resetAndDestroy();
    });
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', (error) => (reset ? undefined : reject(error)));
    socket.on('close', () => resolve(Buffer.concat(received)));
  });
}

function upgradeRequest(pathname = `${url.pathname}api`): string {
  const host = `127.0.0.1:${url.port}`;
  return [
    `GET ${pathname} HTTP/1.1`,
    `Host: ${host}`,
    `Origin: http://${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    '',
    '',
  ].join('\r\n');
}

/** The status line of the handshake's answer and the code of the close frame that followed it (null: none). */
function answer(bytes: Buffer): { status: string; closeCode: number | null } {
  const end = bytes.indexOf('\r\n\r\n');
  const frames = bytes.subarray(end + 4);
  const closeCode = frames[0] === 0x88 && frames[1]! >= 2 ? frames.readUInt16BE(2) : null;
  return { status: bytes.subarray(0, bytes.indexOf('\r\n')).toString(), closeCode };
}

/** A client frame's header: FIN and the opcode, the mask bit and the payload length (7 bits, or 127 and 64 bits), the mask key. */
function frameHeader(opcode: number, length: bigint): Buffer {
  const mask = [0x12, 0x34, 0x56, 0x78];
  if (length < 126n) return Buffer.from([0x80 | opcode, 0x80 | Number(length), ...mask]);
  const extended = Buffer.alloc(8);
  extended.writeBigUInt64BE(length);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), extended, Buffer.from(mask)]);
}

describe('WebSocket frames the console cannot take', () => {
  it('a 6-byte frame with a reserved opcode closes that socket (1002), and the console keeps serving', async () => {
    const got = answer(await raw([upgradeRequest(), frameHeader(0x3, 0n)]));
    expect(got).toEqual({ status: 'HTTP/1.1 101 Switching Protocols', closeCode: 1002 });
    expect(stderr).toContain('tributary console: closed a WebSocket: Invalid WebSocket frame: invalid opcode 3');
    await stillServing();
  });

  it('a frame declaring more than the limit is refused (1009) from its header alone: its payload is never sent', async () => {
    for (const length of [BigInt(MAX_MESSAGE_BYTES) + 1n, 2n ** 63n - 1n]) {
      expect(answer(await raw([upgradeRequest(), frameHeader(0x1, length)])).closeCode, `${length}`).toBe(1009);
    }
    // Across fragments too: a first fragment of half the limit and one byte, then the header of a second as long.
    const half = BigInt(MAX_MESSAGE_BYTES / 2 + 1);
    const first = Buffer.concat([frameHeader(0x1, half), Buffer.alloc(Number(half))]);
    first[0] = 0x1; // no FIN: more fragments follow
    expect(answer(await raw([upgradeRequest(), first, frameHeader(0x0, half)])).closeCode).toBe(1009);
    await stillServing();
  });

  it('the limit fits the largest request the contract admits: config.validate with the most text, every character escaped', async () => {
    const { file, text } = methods['config.validate'].args.shape;
    const request = {
      id: 2,
      method: 'config.validate',
      args: { file: `${'a'.repeat(file.maxLength! - 5)}.yaml`, text: '\u0001'.repeat(text.maxLength!) },
    };
    expect(encodeWire(request).length).toBeGreaterThan(6 * text.maxLength!);
    const ws = await page();
    try {
      expect(await call(ws, request)).toMatchObject({ id: 2, result: { ok: true, value: { valid: false } } });
    } finally {
      ws.close();
    }
  });

  it("garbage after the upgrade, in the handshake's own packet or after it, closes that socket (1002)", async () => {
    const garbage = Buffer.from('hello, this is not a WebSocket frame\r\n');
    const unmasked = Buffer.from([0x81, 0x02, 0x68, 0x69]);
    for (const chunks of [[upgradeRequest() + garbage.toString()], [upgradeRequest(), garbage], [upgradeRequest(), unmasked]]) {
      expect(answer(await raw(chunks)).closeCode).toBe(1002);
    }
    await stillServing();
  });

  it('an upgrade torn off mid-handshake, accepted or refused, leaves the console up', async () => {
    const torn = [upgradeRequest(), upgradeRequest('/no-token/api'), upgradeRequest().slice(0, 60)];
    await Promise.all(Array.from({ length: 10 }, () => torn.map((request) => raw([request], { reset: true }))).flat());
    await stillServing();
  });
});

describe('HTTP requests the console cannot take', () => {
  it('a request target that does not parse as a URL is refused (403), as a page or as an upgrade', async () => {
    const host = `Host: 127.0.0.1:${url.port}`;
    expect(answer(await raw([`GET http://[/ HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`])).status).toBe('HTTP/1.1 403 Forbidden');
    expect(answer(await raw([upgradeRequest('http://[/')])).status).toBe('HTTP/1.1 403 Forbidden');
    await stillServing();
  });

  it('bytes that are not HTTP get a 400, and requests torn off before their answer leave the console up', async () => {
    expect(answer(await raw(['\x16\x03\x01 not http at all\r\n\r\n'])).status).toBe('HTTP/1.1 400 Bad Request');
    const get = `GET ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1:${url.port}\r\n\r\n`;
    await Promise.all(Array.from({ length: 20 }, () => raw([get], { reset: true })));
    await stillServing();
  });
});
