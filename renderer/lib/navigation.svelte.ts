// Runs in the renderer: which page is shown, kept in the URL's hash so back and forward work and a reload stays put.
import { featureOfHash, FEATURES } from './features.js';
import type { FeatureId } from './features.js';

class Navigation {
  current = $state<FeatureId>(featureOfHash(location.hash));

  constructor() {
    // Lives as long as the page: one listener for the app's lifetime.
    window.addEventListener('hashchange', () => (this.current = featureOfHash(location.hash)));
  }

  go = (id: FeatureId): void => {
    location.hash = `#/${id}`;
  };

  /** Alt+1, Alt+2 ...: the page of that number. */
  shortcut = (event: KeyboardEvent): boolean => {
    const feature = event.altKey && !event.ctrlKey && !event.metaKey ? FEATURES.find((f) => f.shortcut === event.key) : undefined;
    if (feature) this.go(feature.id);
    return feature !== undefined;
  };
}

export const navigation = new Navigation();
