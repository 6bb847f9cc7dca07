// Runs in the preload (sandboxed): the contract's transport over Electron IPC, one channel per method and per event.
import type { IpcRendererEvent } from 'electron';
import type { Transport } from '../common/contract/api-client.js';
import { callChannel, eventChannel } from '../common/contract/ipc-channels.js';

/** The part of ipcRenderer the transport uses; it stays inside the preload, never handed to the page. */
interface IpcLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): unknown;
}

export function ipcTransport(ipc: IpcLike): Transport {
  return {
    invoke: (method, args) => ipc.invoke(callChannel(method), args) as ReturnType<Transport['invoke']>,
    subscribe: (event, listener) => {
      // The IPC event object is dropped: it carries `sender`, the ipcRenderer itself.
      const relay = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
      ipc.on(eventChannel(event), relay);
      return () => void ipc.removeListener(eventChannel(event), relay);
    },
  };
}
