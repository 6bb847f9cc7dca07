// Tests (Node, electron mocked): secrets go through safeStorage, and never onto disk in plain text.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppSettings } from '../../../main/app/settings.main.js';
import type { ElectronMock } from './electron-mock.js';

vi.mock('electron', async () => (await import('./electron-mock.js')).createElectronMock('/tmp'));

const electron = (await import('electron')) as unknown as ElectronMock;
const { SecretStore } = await import('../../../main/app/secrets.main.js');

function store() {
  const sealed = new Map<string, string>();
  const settings = {
    sealedSecret: (name: string) => sealed.get(name),
    setSealedSecret: (name: string, value: string | undefined) => (value === undefined ? sealed.delete(name) : sealed.set(name, value)),
  } as unknown as AppSettings;
  return { secrets: new SecretStore(settings), sealed };
}

afterEach(() => {
  electron.safeStorage.isEncryptionAvailable.mockReturnValue(true);
  electron.safeStorage.getSelectedStorageBackend.mockReturnValue('gnome_libsecret');
});

describe('SecretStore', () => {
  it('stores only what safeStorage sealed, and opens it again', () => {
    const { secrets, sealed } = store();
    secrets.set('node-key', 'PRIVATE KEY');
    expect(sealed.get('node-key')).toBe(Buffer.from('sealed:PRIVATE KEY').toString('base64'));
    expect(secrets.get('node-key')).toBe('PRIVATE KEY');
    secrets.delete('node-key');
    expect(secrets.get('node-key')).toBeUndefined();
  });

  it('refuses to store a secret when the system offers no encryption', () => {
    electron.safeStorage.isEncryptionAvailable.mockReturnValue(false);
    const { secrets, sealed } = store();
    expect(() => secrets.set('node-key', 'PRIVATE KEY')).toThrow(/no keyring/);
    expect(sealed.size).toBe(0);
  });

  it("on Linux, refuses Chromium's hard-coded-key fallback (basic_text) as no protection", () => {
    vi.spyOn(process, 'platform', 'get').mockReturnValue('linux');
    electron.safeStorage.getSelectedStorageBackend.mockReturnValue('basic_text');
    expect(store().secrets.available()).toBe(false);
    vi.restoreAllMocks();
  });
});
