// Runs in the renderer: the services' API: the preload's `window.tributary` on the desktop, the console's WebSocket in a browser.
import { z } from 'zod';
import { createApi } from '../../common/contract/api-client.js';
import type { TributaryApi } from '../../common/contract/contract.js';
import { consoleTransport } from './console-transport.js';

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in a browser. */
    tributary?: TributaryApi;
  }
}

// zod probes for `new Function`, which the page's policy forbids (and reports as a console error): never ask.
z.config({ jitless: true });

export const api: TributaryApi = window.tributary ?? createApi(consoleTransport(new URL(location.href)));
