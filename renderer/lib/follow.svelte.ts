// Runs in the renderer: a page's data follows what it depends on (the open config, the party's stage), however the page was reached.
import { untrack } from 'svelte';

/**
 * Calls `load` with what `inputs` reads now, and again whenever that changes. A page that loaded on mount or on a
 * navigation event showed nothing when opened cold (a bookmark, a reload): the config was not open yet when it
 * mounted, and no event came later. Call it while a component initialises; it ends with the component.
 */
export function follow<T>(inputs: () => T, load: (value: T) => void): void {
  $effect(() => {
    const value = inputs();
    untrack(() => load(value));
  });
}
