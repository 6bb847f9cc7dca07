// Runs anywhere (the contract): the UI's API object built from the table over any transport (Electron IPC, a WebSocket).
import type { Envelope } from './envelope.js';
import { EVENT_NAMES, METHOD_NAMES, splitName } from './contract.js';
import type { EventName, MethodName, TributaryApi, Unsubscribe } from './contract.js';

/** How one surface carries calls and events; the API object adds nothing but names and types on top. */
export interface Transport {
  invoke(method: MethodName, args: unknown): Promise<Envelope<unknown>>;
  subscribe(event: EventName, listener: (payload: unknown) => void): Unsubscribe;
}

export function createApi(transport: Transport): TributaryApi {
  const api: Record<string, Record<string, unknown>> = {};
  const areaOf = (area: string) => (api[area] ??= {});
  for (const name of METHOD_NAMES) {
    const [area, verb] = splitName(name);
    areaOf(area)[verb] = (args: unknown = {}) => transport.invoke(name, args);
  }
  for (const name of EVENT_NAMES) {
    const [area, verb] = splitName(name);
    areaOf(area)[`on${verb.charAt(0).toUpperCase()}${verb.slice(1)}`] = (listener: (payload: unknown) => void) =>
      transport.subscribe(name, listener);
  }
  return api as TributaryApi;
}
