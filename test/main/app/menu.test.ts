// Tests (Node): the application and tray menus: what they offer, that each item does what it says, and the party's entries enabled by its state.
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { appMenuTemplate, trayMenuTemplate } from '../../../main/app/menu.main.js';
import type { PartyMenuState } from '../../../main/app/menu.main.js';

const actions = () => ({
  openConfig: vi.fn(),
  openRecentConfig: vi.fn(),
  showWindow: vi.fn(),
  quit: vi.fn(),
  join: vi.fn(),
  pause: vi.fn(),
  resume: vi.fn(),
  leave: vi.fn(),
});
const click = (item: MenuItemConstructorOptions | undefined) => (item?.click as () => void)();
const submenu = (item: MenuItemConstructorOptions | undefined) => item?.submenu as MenuItemConstructorOptions[];
const out: PartyMenuState = { stage: 'out', pauseRequested: false, config: '/site/party.yaml' };
const plainOptions = { mac: false, devTools: false };

/** The party's entries as `label: enabled`, the way a person scans a menu. */
const offered = (items: MenuItemConstructorOptions[]) =>
  items.filter((item) => item.label).map((item) => `${item.label}: ${item.enabled !== false}`);
const federationMenu = (party: PartyMenuState, a = actions()) =>
  submenu(appMenuTemplate([], a, plainOptions, party).find((item) => item.label === '&Federation'));

describe('application menu', () => {
  it('File: open a config (Ctrl/Cmd+O), open a recent one, quit', () => {
    const a = actions();
    const [file] = appMenuTemplate(['/a/party.yaml', '/b/party.yaml'], a, plainOptions, out);
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
    const plain = appMenuTemplate([], actions(), plainOptions, out);
    expect(submenu(submenu(plain[0])[1])).toEqual([{ label: 'No recent configs', enabled: false }]);
    const roles = (template: MenuItemConstructorOptions[]) => JSON.stringify(template);
    expect(roles(plain)).not.toContain('toggleDevTools');
    expect(roles(appMenuTemplate([], actions(), { mac: false, devTools: true }, out))).toContain('toggleDevTools');
    expect(appMenuTemplate([], actions(), { mac: true, devTools: false }, out)[0]).toEqual({ role: 'appMenu' });
  });

  it('Federation: join when out (with a config to join), pause or resume and leave when joined, only Leave Now while leaving', () => {
    expect(offered(federationMenu(out))).toEqual([
      'Join the Federation: true',
      'Pause Taking Part: false',
      'Resume Taking Part: false',
      'Leave After This Task: false',
      'Leave Now: false',
    ]);
    expect(offered(federationMenu({ ...out, config: null }))[0]).toBe('Join the Federation: false');
    expect(offered(federationMenu({ ...out, stage: 'joining' }))).toEqual(
      expect.arrayContaining(['Join the Federation: false', 'Leave Now: false']),
    );
    expect(offered(federationMenu({ ...out, stage: 'joined' }))).toEqual([
      'Join the Federation: false',
      'Pause Taking Part: true',
      'Resume Taking Part: false',
      'Leave After This Task: true',
      'Leave Now: true',
    ]);
    expect(offered(federationMenu({ ...out, stage: 'joined', pauseRequested: true }))).toEqual(
      expect.arrayContaining(['Pause Taking Part: false', 'Resume Taking Part: true']),
    );
    expect(offered(federationMenu({ ...out, stage: 'leaving' }))).toEqual([
      'Join the Federation: false',
      'Pause Taking Part: false',
      'Resume Taking Part: false',
      'Leave After This Task: false',
      'Leave Now: true',
    ]);
  });

  it('Federation: each entry calls its action', () => {
    const a = actions();
    const [join, pause, resume, leaveAfter, leaveNow] = federationMenu({ ...out, stage: 'joined' }, a);
    [join, pause, resume, leaveAfter, leaveNow].forEach(click);
    expect(a.join).toHaveBeenCalled();
    expect(a.pause).toHaveBeenCalled();
    expect(a.resume).toHaveBeenCalled();
    expect(a.leave.mock.calls).toEqual([[true], [false]]);
  });
});

describe('tray menu', () => {
  it("shows the window, the party's entries (one Pause or Resume), opens a config, quits", () => {
    const a = actions();
    const items = trayMenuTemplate(a, { ...out, stage: 'joined' });
    expect(items.map((item) => item.label ?? item.type)).toEqual([
      'Show Tributary',
      'separator',
      'Join the Federation',
      'Pause Taking Part',
      'Leave After This Task',
      'Leave Now',
      'separator',
      'Open Party Config…',
      'separator',
      'Quit Tributary',
    ]);
    click(items[0]);
    expect(a.showWindow).toHaveBeenCalled();
    const paused = trayMenuTemplate(a, { ...out, stage: 'joined', pauseRequested: true });
    expect(paused[3]).toMatchObject({ label: 'Resume Taking Part', enabled: true });
    click(paused[3]);
    expect(a.resume).toHaveBeenCalled();
  });
});
