// Tests (Node, electron mocked): an IPC message counts only from the app's own window, its top frame, on the app's own origin.
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { FakeBrowserWindow } from './electron-mock.js';

vi.mock('electron', async () => (await import('./electron-mock.js')).createElectronMock('/tmp'));

const { isAppFrame } = await import('../../../main/app/sender.main.js');

const ours = new FakeBrowserWindow({});
const theirs = new FakeBrowserWindow({});
const isOurs = (window: BrowserWindow) => window === (ours as unknown as BrowserWindow);

function event(window: FakeBrowserWindow | { webContents: object }, frame: { parent: unknown; url: string } | null): IpcMainInvokeEvent {
  return { sender: window.webContents, senderFrame: frame } as unknown as IpcMainInvokeEvent;
}

describe('isAppFrame', () => {
  it('accepts the top frame of the app window on tributary://app', () => {
    expect(isAppFrame(event(ours, { parent: null, url: 'tributary://app/index.html#/preview' }), isOurs)).toBe(true);
  });

  it('refuses a window the app did not create, and contents that are no window at all', () => {
    expect(isAppFrame(event(theirs, { parent: null, url: 'tributary://app/index.html' }), isOurs)).toBe(false);
    expect(isAppFrame(event({ webContents: {} }, { parent: null, url: 'tributary://app/index.html' }), isOurs)).toBe(false);
  });

  it('refuses a subframe, a frame on another origin, and a frame that is gone', () => {
    expect(isAppFrame(event(ours, { parent: {}, url: 'tributary://app/index.html' }), isOurs)).toBe(false);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'tributary://evil/index.html', 'tributary-x://app/', 'not a url']) {
      expect(isAppFrame(event(ours, { parent: null, url }), isOurs), url).toBe(false);
    }
    expect(isAppFrame(event(ours, null), isOurs)).toBe(false);
  });
});
