// Runs in the renderer: Ctrl+S (Cmd+S on macOS) saves the open party config, on every page that edits it.
import { configStore } from './config-store.svelte.js';

export function saveConfigOnCtrlS(event: KeyboardEvent): void {
  if ((event.ctrlKey || event.metaKey) && event.key === 's') {
    event.preventDefault(); // the browser's own "save page" would download the app's HTML
    if (configStore.dirty) void configStore.save();
  }
}
