// Tests (Node, electron mocked, electron-store's conf underneath): settings readable by this user only, recent configs, window state, a bad file set aside.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../fixtures/corpus.js';

const userData = await tempDir('tributary-settings-');
vi.mock('electron', async () => (await import('./electron-mock.js')).createElectronMock(userData));
vi.mock('electron-store', () => import('./conf-store.js'));

const { AppSettings } = await import('../../../main/app/settings.main.js');

afterAll(() => fsp.rm(userData, { recursive: true, force: true }));

describe('AppSettings', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await tempDir('tributary-settings-');
  });

  it("lives in Electron's userData folder by default, in a file only this user can read (0600)", () => {
    new AppSettings().noteRecentConfig('/site/party.yaml');
    return fsp.stat(path.join(userData, 'settings.json')).then((s) => expect(s.mode & 0o777).toBe(0o600));
  });

  it('keeps recent configs most recent first, without repeats, ten at most', () => {
    const settings = new AppSettings(folder);
    for (let k = 0; k < 12; k++) settings.noteRecentConfig(`/site/${k}.yaml`);
    settings.noteRecentConfig('/site/5.yaml');
    const recent = new AppSettings(folder).recentConfigs();
    expect(recent).toHaveLength(10);
    expect(recent.slice(0, 3)).toEqual(['/site/5.yaml', '/site/11.yaml', '/site/10.yaml']);
  });

  it("remembers the window's bounds and whether it was maximized", () => {
    const settings = new AppSettings(folder);
    expect(settings.windowState()).toEqual({ bounds: { width: 1200, height: 820 }, maximized: false });
    settings.saveWindowState({ bounds: { x: 1, y: 2, width: 1000, height: 700 }, maximized: true });
    expect(new AppSettings(folder).windowState()).toEqual({ bounds: { x: 1, y: 2, width: 1000, height: 700 }, maximized: true });
  });

  it('keeps sealed secrets by name, and forgets one on request', () => {
    const settings = new AppSettings(folder);
    settings.setSealedSecret('node-key', 'c2VhbGVk');
    settings.setSealedSecret('token', 'b3RoZXI=');
    settings.setSealedSecret('token', undefined);
    const reopened = new AppSettings(folder);
    expect([reopened.sealedSecret('node-key'), reopened.sealedSecret('token')]).toEqual(['c2VhbGVk', undefined]);
  });

  it('moves a file that breaks the schema aside (kept for a person) and starts from defaults', async () => {
    const broken = await tempDir('tributary-settings-');
    await fsp.writeFile(path.join(broken, 'settings.json'), JSON.stringify({ recentConfigs: 'not a list', window: { maximized: 'yes' } }));
    const settings = new AppSettings(broken);
    expect(settings.recentConfigs()).toEqual([]);
    expect((await fsp.readdir(broken)).some((f) => f.startsWith('settings.json.invalid-'))).toBe(true);
  });

  it('does the same with a file that is not JSON at all', async () => {
    const garbled = await tempDir('tributary-settings-');
    await fsp.writeFile(path.join(garbled, 'settings.json'), '{ not json');
    expect(new AppSettings(garbled).recentConfigs()).toEqual([]);
    expect((await fsp.readdir(garbled)).filter((f) => f.startsWith('settings.json.invalid-'))).toHaveLength(1);
  });
});
