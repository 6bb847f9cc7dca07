// Runs in the renderer (browser console only): the contract's transport over the console's WebSocket, which lives under the page's token URL.
import type { Transport } from '../../common/contract/api-client.js';
import type { EventName } from '../../common/contract/contract.js';
import { failure } from '../../common/contract/envelope.js';
import type { Envelope } from '../../common/contract/envelope.js';
import { decodeWire, encodeWire } from '../../common/contract/wire-json.js';

type Listener = (payload: unknown) => void;

/**
 * `pageUrl` is `http://127.0.0.1:PORT/<token>/...`: the socket is `ws://127.0.0.1:PORT/<token>/api`, so it
 * carries the token the way every file request does. When the socket closes, calls in flight fail `unavailable`
 * and subscribers to `app.servicesState` hear that the services are gone, as they would from a crashed process.
 */
export function consoleTransport(pageUrl: URL): Transport {
  const url = new URL('api', pageUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  const opened = new Promise<boolean>((resolve) => {
    socket.addEventListener('open', () => resolve(true));
    socket.addEventListener('close', () => resolve(false));
  });
  const pending = new Map<number, (result: Envelope<unknown>) => void>();
  const listeners = new Map<EventName, Set<Listener>>();
  const notify = (event: EventName, payload: unknown) => listeners.get(event)?.forEach((listener) => listener(payload));
  let nextId = 0;

  socket.addEventListener('message', (message: MessageEvent<string>) => {
    const data = decodeWire(message.data) as { id?: number; result?: Envelope<unknown>; event?: EventName; payload?: unknown };
    if (data.id !== undefined && data.result) {
      pending.get(data.id)?.(data.result);
      pending.delete(data.id);
    } else if (data.event) {
      notify(data.event, data.payload);
    }
  });
  socket.addEventListener('close', () => {
    pending.forEach((resolve) => resolve(failure('unavailable', 'the connection to the console closed')));
    pending.clear();
    notify('app.servicesState', { state: 'stopped', detail: 'the connection to the Tributary console closed: is it still running?' });
  });

  return {
    invoke: async (method, args) => {
      if (!(await opened)) return failure('unavailable', 'no connection to the Tributary console');
      const id = ++nextId;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        socket.send(encodeWire({ id, method, args }));
      });
    },
    subscribe: (event, listener) => {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set.add(listener));
      return () => void set.delete(listener);
    },
  };
}
