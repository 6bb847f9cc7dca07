// Runs in Electron main: secrets (the node key, tokens) sealed by the OS keychain through safeStorage, never stored in plain text.
import { safeStorage } from 'electron';
import type { AppSettings } from './settings.main.js';

/** Why a secret cannot be sealed here, for messages. */
export const NO_KEYRING = 'this system has no keyring for secrets (on Linux: GNOME Keyring or KWallet)';

/**
 * On Linux without a keyring (GNOME Keyring, KWallet), safeStorage falls back to a key hard-coded in Chromium
 * ('basic_text'): obfuscation, not protection. A secret is refused then rather than stored with a false promise.
 */
export class SecretStore {
  constructor(readonly settings: AppSettings) {}

  available(): boolean {
    if (!safeStorage.isEncryptionAvailable()) return false;
    return process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text';
  }

  set(name: string, secret: string): void {
    if (!this.available()) {
      throw new Error(`${NO_KEYRING}; Tributary does not store secrets in plain text`);
    }
    this.settings.setSealedSecret(name, safeStorage.encryptString(secret).toString('base64'));
  }

  get(name: string): string | undefined {
    const sealed = this.settings.sealedSecret(name);
    return sealed === undefined ? undefined : safeStorage.decryptString(Buffer.from(sealed, 'base64'));
  }

  delete(name: string): void {
    this.settings.setSealedSecret(name, undefined);
  }
}
