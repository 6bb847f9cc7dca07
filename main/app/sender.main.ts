// Runs in Electron main: whether an IPC message comes from the app's own window, its top frame, on the app's own origin.
import { BrowserWindow } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import { isAppUrl } from './protocol.main.js';

/**
 * Only the top frame of a window this app created, showing the app's own page: not a subframe, not a window
 * some other code opened, not a page navigated elsewhere (navigation is refused, but the check does not rely on it).
 */
export function isAppFrame(event: IpcMainInvokeEvent, isAppWindow: (window: BrowserWindow) => boolean): boolean {
  const window = BrowserWindow.fromWebContents(event.sender);
  const frame = event.senderFrame;
  return window !== null && isAppWindow(window) && frame !== null && frame.parent === null && isAppUrl(frame.url);
}
