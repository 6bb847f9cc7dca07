// Tests (Node, electron mocked): the window's options: sandboxed, isolated, no Node, no webview; and how it is created and shown.
import { describe, expect, it, vi } from 'vitest';
import type { FakeBrowserWindow } from './electron-mock.js';

vi.mock('electron', async () => (await import('./electron-mock.js')).createElectronMock('/tmp'));

const { createMainWindow, SECURE_WEB_PREFERENCES, windowOptions } = await import('../../../main/app/window.main.js');
const { APP_URL } = await import('../../../main/app/protocol.main.js');

const state = { bounds: { width: 1200, height: 820, x: 5, y: 6 }, maximized: false };

describe('window options', () => {
  it('sandbox on, context isolation on, Node integration off everywhere, no webview tag, web security on', () => {
    const { webPreferences } = windowOptions('/app/preload.cjs', state, false);
    expect(webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
    });
    expect(webPreferences).toEqual({ ...SECURE_WEB_PREFERENCES, preload: '/app/preload.cjs' });
  });

  it("restores the saved bounds, keeps a usable minimum size, and starts hidden in the theme's colour", () => {
    expect(windowOptions('/p', state, true)).toMatchObject({
      width: 1200,
      height: 820,
      x: 5,
      y: 6,
      minWidth: 900,
      minHeight: 640,
      show: false,
      backgroundColor: '#17191c',
    });
  });
});

describe('createMainWindow', () => {
  it('loads the app page from the app scheme and shows (maximized, if it was) when ready', () => {
    const window = createMainWindow('/p', { ...state, maximized: true }, false) as unknown as FakeBrowserWindow;
    expect(window.loadURL).toHaveBeenCalledWith(APP_URL);
    expect(window.show).not.toHaveBeenCalled();
    window.emit('ready-to-show');
    expect(window.maximize).toHaveBeenCalled();
    expect(window.show).toHaveBeenCalled();
  });
});
