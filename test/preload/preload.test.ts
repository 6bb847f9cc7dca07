// Tests (Node, electron mocked): the preload gives the page the contract's API and nothing more; its bundle needs nothing but electron.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EVENT_NAMES, METHOD_NAMES } from '../../common/contract/contract.js';
import type { TributaryApi } from '../../common/contract/contract.js';
import type { ElectronMock } from '../main/app/electron-mock.js';

vi.mock('electron', async () => (await import('../main/app/electron-mock.js')).createElectronMock('/tmp'));

const electron = (await import('electron')) as unknown as ElectronMock;
await import('../../preload/preload.js');
const [[name, api]] = electron.contextBridge.exposeInMainWorld.mock.calls as unknown as [[string, TributaryApi]];

describe('preload', () => {
  it('exposes one global, `tributary`, holding functions only: no ipcRenderer, no other object', () => {
    expect(name).toBe('tributary');
    const leaves = Object.values(api).flatMap((area) => Object.values(area as object));
    expect(leaves.every((leaf) => typeof leaf === 'function')).toBe(true);
    expect(leaves).toHaveLength(METHOD_NAMES.length + EVENT_NAMES.length);
    expect(JSON.stringify(Object.keys(api))).not.toContain('ipc');
  });

  it('invokes each method on its own channel', async () => {
    electron.ipcRenderer.invoke.mockResolvedValue({ ok: true, value: 'x' });
    expect(await api.config.open({ file: 'party.yaml' })).toEqual({ ok: true, value: 'x' });
    expect(electron.ipcRenderer.invoke).toHaveBeenCalledWith('tributary:call:config.open', { file: 'party.yaml' });
  });

  it("relays an event's payload without the IPC event (it carries the sender), and unsubscribes", () => {
    const listener = vi.fn();
    const off = api.dataset.onScanProgress(listener);
    const [channel, relay] = electron.ipcRenderer.on.mock.calls.at(-1)! as [string, (...args: unknown[]) => void];
    expect(channel).toBe('tributary:event:dataset.scanProgress');
    relay({ sender: electron.ipcRenderer }, { done: 1 });
    expect(listener).toHaveBeenCalledWith({ done: 1 });
    off();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith('tributary:event:dataset.scanProgress', relay);
  });
});

describe('the preload bundle (npm run build:ui)', () => {
  it('is one CommonJS file that requires electron and nothing else, as a sandboxed preload must', () => {
    const bundle = path.resolve('dist/preload/preload.cjs');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build:ui\` (npm test does)`);
    const required = [...readFileSync(bundle, 'utf8').matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
  });
});
