// Runs in Electron main: the application menu and the tray menu, as templates built from what the app can do now.
import type { MenuItemConstructorOptions } from 'electron';
import type { PartyStage } from '../../common/contract/party-api.js';

export interface MenuActions {
  openConfig(): void;
  openRecentConfig(file: string): void;
  showWindow(): void;
  quit(): void;
  /** Joins the federation of the config opened last. */
  join(): void;
  pause(): void;
  resume(): void;
  leave(finish: boolean): void;
}

/** What the party menus can offer now: from the party's last party.state, and the config Join would join. */
export interface PartyMenuState {
  stage: PartyStage;
  pauseRequested: boolean;
  /** The config opened last; null when none has been, and there is nothing to join. */
  config: string | null;
}

/** The party's entries, each enabled only when the party service would accept it. */
function partyItems(party: PartyMenuState, actions: MenuActions, { toggle }: { toggle: boolean }): MenuItemConstructorOptions[] {
  const joined = party.stage === 'joined';
  const pause: MenuItemConstructorOptions = {
    label: 'Pause Taking Part',
    enabled: joined && !party.pauseRequested,
    click: () => actions.pause(),
  };
  const resume: MenuItemConstructorOptions = {
    label: 'Resume Taking Part',
    enabled: joined && party.pauseRequested,
    click: () => actions.resume(),
  };
  return [
    { label: 'Join the Federation', enabled: party.stage === 'out' && party.config !== null, click: () => actions.join() },
    // The tray is short: one entry that is Pause or Resume as the party is.
    ...(toggle ? [party.pauseRequested ? resume : pause] : [pause, resume]),
    { label: 'Leave After This Task', enabled: joined, click: () => actions.leave(true) },
    { label: 'Leave Now', enabled: joined || party.stage === 'leaving', click: () => actions.leave(false) },
  ];
}

export function appMenuTemplate(
  recentConfigs: readonly string[],
  actions: MenuActions,
  options: { mac: boolean; devTools: boolean },
  party: PartyMenuState,
): MenuItemConstructorOptions[] {
  const recent: MenuItemConstructorOptions[] = recentConfigs.length
    ? recentConfigs.map((file) => ({ label: file, click: () => actions.openRecentConfig(file) }))
    : [{ label: 'No recent configs', enabled: false }];
  const view: MenuItemConstructorOptions[] = [
    { role: 'resetZoom' },
    { role: 'zoomIn' },
    { role: 'zoomOut' },
    { type: 'separator' },
    { role: 'togglefullscreen' },
  ];
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
    { label: '&Federation', submenu: partyItems(party, actions, { toggle: false }) },
    { label: '&View', submenu: view },
    { role: 'windowMenu' },
  ];
}

export function trayMenuTemplate(actions: MenuActions, party: PartyMenuState): MenuItemConstructorOptions[] {
  return [
    { label: 'Show Tributary', click: () => actions.showWindow() },
    { type: 'separator' },
    ...partyItems(party, actions, { toggle: true }),
    { type: 'separator' },
    { label: 'Open Party Config…', click: () => actions.openConfig() },
    { type: 'separator' },
    { label: 'Quit Tributary', click: () => actions.quit() },
  ];
}
