// Runs in Electron main: the app's own settings (recent configs, window state, sealed secrets) in electron-store, readable by this user only.
import { renameSync } from 'node:fs';
import path from 'node:path';
import { app } from 'electron';
import Store from 'electron-store';
import type { Schema } from 'electron-store';

export interface WindowState {
  bounds: { width: number; height: number; x?: number; y?: number };
  maximized: boolean;
}

interface SettingsData {
  recentConfigs: string[];
  window: WindowState;
  /** Secrets sealed by safeStorage, base64: never a plain secret on disk. */
  sealedSecrets: Record<string, string>;
}

const RECENT_KEPT = 10;

const DEFAULTS: SettingsData = {
  recentConfigs: [],
  window: { bounds: { width: 1200, height: 820 }, maximized: false },
  sealedSecrets: {},
};

const SCHEMA: Schema<SettingsData> = {
  recentConfigs: { type: 'array', items: { type: 'string' }, maxItems: RECENT_KEPT },
  window: {
    type: 'object',
    properties: {
      bounds: {
        type: 'object',
        properties: {
          width: { type: 'integer', minimum: 400 },
          height: { type: 'integer', minimum: 300 },
          x: { type: 'integer' },
          y: { type: 'integer' },
        },
        required: ['width', 'height'],
      },
      maximized: { type: 'boolean' },
    },
    required: ['bounds', 'maximized'],
  },
  sealedSecrets: { type: 'object', additionalProperties: { type: 'string' } },
};

export class AppSettings {
  readonly #store: Store<SettingsData>;

  /** `folder` defaults to Electron's userData folder. */
  constructor(folder: string = app.getPath('userData')) {
    this.#store = openStore(folder);
  }

  recentConfigs(): string[] {
    return this.#store.get('recentConfigs');
  }

  noteRecentConfig(file: string): void {
    this.#store.set('recentConfigs', [file, ...this.recentConfigs().filter((f) => f !== file)].slice(0, RECENT_KEPT));
  }

  windowState(): WindowState {
    return this.#store.get('window');
  }

  saveWindowState(state: WindowState): void {
    this.#store.set('window', state);
  }

  sealedSecret(name: string): string | undefined {
    return this.#store.get('sealedSecrets')[name];
  }

  setSealedSecret(name: string, sealed: string | undefined): void {
    const { [name]: _old, ...others } = this.#store.get('sealedSecrets');
    this.#store.set('sealedSecrets', sealed === undefined ? others : { ...others, [name]: sealed });
  }
}

/**
 * Mode 0600: the file may hold sealed secrets and the paths of a site's data. A file that does not parse, or
 * breaks the schema (hand-edited, or from another version), is moved aside rather than cleared: a sealed node key
 * in it may still matter to a person. The app then starts from defaults rather than not at all.
 */
function openStore(cwd: string): Store<SettingsData> {
  const options = { name: 'settings', cwd, schema: SCHEMA, defaults: DEFAULTS, configFileMode: 0o600, clearInvalidConfig: false };
  try {
    return new Store<SettingsData>(options);
  } catch {
    const file = path.join(cwd, 'settings.json');
    renameSync(file, `${file}.invalid-${Date.now()}`);
    return new Store<SettingsData>(options);
  }
}
