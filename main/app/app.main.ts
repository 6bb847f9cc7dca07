// Runs in Electron main: the entry (package.json "main"): one instance, the app scheme, every web contents locked down, then the desktop.
import { app, dialog } from 'electron';
import { startDesktop } from './desktop.main.js';
import { registerAppScheme } from './protocol.main.js';
import { lockDownContents } from './security.main.js';

registerAppScheme();
app.on('web-contents-created', (_event, contents) => lockDownContents(contents));

// A second launch hands over to the first (its 'second-instance' shows the window) and ends here.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app
    .whenReady()
    .then(startDesktop)
    .catch((error: unknown) => {
      dialog.showErrorBox('Tributary could not start', error instanceof Error ? error.message : String(error));
      app.exit(1);
    });
}
