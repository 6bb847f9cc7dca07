// Runs in Electron main: the one place IPC handlers are registered: sender check, arguments parsed, results as envelopes.
import type { IpcMainInvokeEvent } from 'electron';
import { parseArguments } from '../../common/contract/arguments.js';
import { EVENT_NAMES, METHOD_NAMES } from '../../common/contract/contract.js';
import type { Unsubscribe } from '../../common/contract/contract.js';
import { failure } from '../../common/contract/envelope.js';
import type { Envelope } from '../../common/contract/envelope.js';
import { callChannel, eventChannel } from '../../common/contract/ipc-channels.js';
import type { ServicesClient } from '../services/services-client.js';

/** The part of ipcMain this needs, so a test can hand in its own. */
export interface IpcRegistrar {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

interface HandlerOptions {
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean;
  services: ServicesClient;
}

/**
 * One handler per contract method, all made here: a foreign sender is refused before anything is parsed, bad
 * arguments never cross to the services process, and every answer is an envelope (a throw would lose all but
 * its message on the way to the renderer). Returns the function that removes them all.
 */
export function registerContractHandlers(ipc: IpcRegistrar, { isTrustedSender, services }: HandlerOptions): Unsubscribe {
  for (const method of METHOD_NAMES) {
    ipc.handle(callChannel(method), async (event, raw): Promise<Envelope<unknown>> => {
      if (!isTrustedSender(event)) return failure('forbidden', `${method}: refused, the caller is not the app's window`);
      const args = parseArguments(method, raw);
      if (!args.ok) return args;
      return services.call(method, args.value).catch((error: unknown) => failure('internal', `${method}: ${String(error)}`));
    });
  }
  return () => METHOD_NAMES.forEach((method) => ipc.removeHandler(callChannel(method)));
}

/** Every contract event the services emit, to the app's window (the preload relays each to its subscribers). */
export function forwardEvents(services: ServicesClient, send: (channel: string, payload: unknown) => void): Unsubscribe {
  const known = new Set<string>(EVENT_NAMES);
  return services.subscribe((event, payload) => {
    if (known.has(event)) send(eventChannel(event), payload);
  });
}
