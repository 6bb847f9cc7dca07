// Runs in Electron main: the app window's options (sandboxed, isolated, no Node) and its creation.
import { BrowserWindow } from 'electron';
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { APP_URL } from './protocol.main.js';
import type { WindowState } from './settings.main.js';

/** The renderer gets nothing of Node and nothing it does not need: the preload's API is its only way out. */
export const SECURE_WEB_PREFERENCES = {
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webviewTag: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
} as const satisfies WebPreferences;

export function windowOptions(preload: string, state: WindowState, dark: boolean): BrowserWindowConstructorOptions {
  return {
    ...state.bounds,
    minWidth: 900,
    minHeight: 640,
    title: 'Tributary',
    show: false, // shown on ready-to-show: no white flash before the theme applies
    backgroundColor: dark ? '#17191c' : '#ffffff',
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload },
  };
}

export function createMainWindow(preload: string, state: WindowState, dark: boolean): BrowserWindow {
  const window = new BrowserWindow(windowOptions(preload, state, dark));
  window.once('ready-to-show', () => {
    if (state.maximized) window.maximize();
    window.show();
  });
  void window.loadURL(APP_URL);
  return window;
}
