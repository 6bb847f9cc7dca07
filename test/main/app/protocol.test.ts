// Tests (Node, electron mocked): the tributary:// scheme: registered privileged, serving only the renderer's files, with the policy header.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Protocol } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../fixtures/corpus.js';
import type { ElectronMock } from './electron-mock.js';

vi.mock('electron', async () => (await import('./electron-mock.js')).createElectronMock('/tmp'));

const electron = (await import('electron')) as unknown as ElectronMock;
const { APP_URL, isAppUrl, registerAppScheme, serveRenderer } = await import('../../../main/app/protocol.main.js');

let dir: string;
let handler: (request: Request) => Promise<Response>;

beforeAll(async () => {
  dir = await tempDir('tributary-protocol-');
  await fsp.writeFile(path.join(dir, 'index.html'), '<title>app</title>');
  await fsp.writeFile(path.join(path.dirname(dir), 'secret.txt'), 'secret');
  const protocol = { handle: vi.fn() };
  serveRenderer(protocol as unknown as Pick<Protocol, 'handle'>, dir);
  handler = protocol.handle.mock.calls[0]![1];
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

const fetchApp = (url: string) => handler({ url } as Request);

describe('the app scheme', () => {
  it('is registered standard and secure (an origin and a secure context, like https)', () => {
    registerAppScheme();
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'tributary', privileges: { standard: true, secure: true } },
    ]);
    expect(isAppUrl(APP_URL)).toBe(true);
  });

  it("serves the renderer's index with the Content-Security-Policy", async () => {
    const response = await fetchApp('tributary://app/index.html');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<title>app</title>');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('serves nothing outside the renderer folder, and nothing on another host', async () => {
    for (const url of [
      'tributary://app/../secret.txt',
      'tributary://app/%2e%2e/secret.txt',
      'tributary://app/..%2Fsecret.txt',
      'tributary://other/index.html',
      'tributary://app/missing.js',
    ]) {
      expect((await fetchApp(url)).status, url).toBe(404);
    }
  });
});
