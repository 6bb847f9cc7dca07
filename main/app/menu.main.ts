// Runs in Electron main: the application menu and the tray menu, as templates built from what the app can do now.
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openConfig(): void;
  openRecentConfig(file: string): void;
  showWindow(): void;
  quit(): void;
}

/**
 * The party's join, pause and leave join these menus when the party service enters the contract; until then the
 * menus offer only what works.
 */
export function appMenuTemplate(recentConfigs: readonly string[], actions: MenuActions, options: { mac: boolean; devTools: boolean }): MenuItemConstructorOptions[] {
  const recent: MenuItemConstructorOptions[] = recentConfigs.length
    ? recentConfigs.map((file) => ({ label: file, click: () => actions.openRecentConfig(file) }))
    : [{ label: 'No recent configs', enabled: false }];
  const view: MenuItemConstructorOptions[] = [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }];
  if (options.devTools) view.push({ type: 'separator' }, { role: 'toggleDevTools' });
  return [
    ...(options.mac ? [{ role: 'appMenu' } as const] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open Party Config…', accelerator: 'CmdOrCtrl+O', click: () => actions.openConfig() },
        { label: 'Open Recent', submenu: recent },
        { type: 'separator' },
        { label: 'Quit Tributary', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() },
      ],
    },
    { role: 'editMenu' },
    { label: '&View', submenu: view },
    { role: 'windowMenu' },
  ];
}

export function trayMenuTemplate(actions: MenuActions): MenuItemConstructorOptions[] {
  return [
    { label: 'Show Tributary', click: () => actions.showWindow() },
    { label: 'Open Party Config…', click: () => actions.openConfig() },
    { type: 'separator' },
    { label: 'Quit Tributary', click: () => actions.quit() },
  ];
}
