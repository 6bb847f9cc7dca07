// Runs in Electron main: what no web contents may do: navigate, open windows, attach webviews, or get a permission.
import type { Session, WebContents } from 'electron';

/**
 * The app is one page with in-page (hash) navigation, which these events do not see; anything else is a link or
 * a script trying to take the window somewhere else, refused. Applied to every web contents the app creates.
 */
export function lockDownContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Camera, notifications, clipboard reads, USB ...: the app asks for none, so every request and check is refused. */
export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
