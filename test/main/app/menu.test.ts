// Tests (Node): the application and tray menus: what they offer today, and that each item does what it says.
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { appMenuTemplate, trayMenuTemplate } from '../../../main/app/menu.main.js';

const actions = () => ({ openConfig: vi.fn(), openRecentConfig: vi.fn(), showWindow: vi.fn(), quit: vi.fn() });
const click = (item: MenuItemConstructorOptions | undefined) => (item?.click as () => void)();
const submenu = (item: MenuItemConstructorOptions | undefined) => item?.submenu as MenuItemConstructorOptions[];

describe('application menu', () => {
  it('File: open a config (Ctrl/Cmd+O), open a recent one, quit', () => {
    const a = actions();
    const [file] = appMenuTemplate(['/a/party.yaml', '/b/party.yaml'], a, { mac: false, devTools: false });
    const [open, recent, , quit] = submenu(file);
    expect(open).toMatchObject({ label: 'Open Party Config…', accelerator: 'CmdOrCtrl+O' });
    click(open);
    expect(a.openConfig).toHaveBeenCalled();
    expect(submenu(recent).map((item) => item.label)).toEqual(['/a/party.yaml', '/b/party.yaml']);
    click(submenu(recent)[1]);
    expect(a.openRecentConfig).toHaveBeenCalledWith('/b/party.yaml');
    click(quit);
    expect(a.quit).toHaveBeenCalled();
  });

  it('says when there is nothing recent, offers dev tools only in development, and the app menu only on macOS', () => {
    const plain = appMenuTemplate([], actions(), { mac: false, devTools: false });
    expect(submenu(submenu(plain[0])[1])).toEqual([{ label: 'No recent configs', enabled: false }]);
    const roles = (template: MenuItemConstructorOptions[]) => JSON.stringify(template);
    expect(roles(plain)).not.toContain('toggleDevTools');
    expect(roles(appMenuTemplate([], actions(), { mac: false, devTools: true }))).toContain('toggleDevTools');
    expect(appMenuTemplate([], actions(), { mac: true, devTools: false })[0]).toEqual({ role: 'appMenu' });
  });
});

describe('tray menu', () => {
  it('shows the window, opens a config, quits (the party\'s join, pause, leave come with its service)', () => {
    const a = actions();
    const items = trayMenuTemplate(a);
    expect(items.map((item) => item.label ?? item.type)).toEqual(['Show Tributary', 'Open Party Config…', 'separator', 'Quit Tributary']);
    click(items[0]);
    expect(a.showWindow).toHaveBeenCalled();
  });
});
