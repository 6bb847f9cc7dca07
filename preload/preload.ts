// Runs in the preload (sandboxed, bundled into one CommonJS file): gives the page `window.tributary`, the contract's API, and nothing else.
import { contextBridge, ipcRenderer } from 'electron';
import { createApi } from '../common/contract/api-client.js';
import { ipcTransport } from './ipc-transport.js';

contextBridge.exposeInMainWorld('tributary', createApi(ipcTransport(ipcRenderer)));
