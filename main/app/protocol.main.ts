// Runs in Electron main: the tributary://app/ scheme that serves the built renderer, so the window has an origin of its own.
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import type { Protocol } from 'electron';
import { rendererFile, rendererHeaders } from '../services/renderer-files.js';

const APP_SCHEME = 'tributary';
const APP_HOST = 'app';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Before `ready`: a standard, secure scheme behaves like https (an origin, a secure context, relative URLs). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true } }]);
}

/** Whether a frame's URL is one of the app's own pages. */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Files of `rendererDir` only, read from disk (or the asar archive), each with the renderer's security headers. */
export function serveRenderer(sessionProtocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  sessionProtocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST ? rendererFile(rendererDir, url.pathname) : undefined;
    const body = file && (await readFile(file).catch(() => undefined));
    if (!file || !body) return new Response('not found', { status: 404 });
    return new Response(new Uint8Array(body), { headers: rendererHeaders(file) });
  });
}
