// Runs in Electron main: the desktop app put together: settings, supervised services, the app protocol, the window, IPC, menus, tray, quitting.
import path from 'node:path';
import { app, dialog, ipcMain, Menu, nativeImage, nativeTheme, session, Tray } from 'electron';
import type { BrowserWindow } from 'electron';
import { packageRoot, rendererDir } from '../services/package-info.js';
import type { ServicesSupervisor } from '../services/supervisor.js';
import { forwardEvents, registerContractHandlers } from './ipc.main.js';
import { appMenuTemplate, trayMenuTemplate } from './menu.main.js';
import type { MenuActions, PartyMenuState } from './menu.main.js';
import { nodeKeyStorageOption, sealedNodeKeys } from './node-keys.main.js';
import { PartyControl, partyTooltip } from './party.main.js';
import { serveRenderer } from './protocol.main.js';
import { leaveBeforeQuitting } from './quit.main.js';
import { SecretStore } from './secrets.main.js';
import { lockDownSession } from './security.main.js';
import { isAppFrame } from './sender.main.js';
import { startServices } from './services.main.js';
import { AppSettings } from './settings.main.js';
import { createMainWindow } from './window.main.js';

export function startDesktop(): void {
  const settings = new AppSettings();
  const root = packageRoot();
  const secrets = new SecretStore(settings);
  const startOptions = () => ({
    startConfig: settings.recentConfigs()[0],
    recentConfigs: settings.recentConfigs(),
    nodeKeys: nodeKeyStorageOption(secrets),
  });
  const services = startServices(startOptions, sealedNodeKeys(secrets));
  lockDownSession(session.defaultSession);
  serveRenderer(session.defaultSession.protocol, rendererDir());

  let window: BrowserWindow | undefined;
  const showWindow = () => {
    if (!window) window = openWindow(path.join(root, 'dist', 'preload', 'preload.cjs'), settings, () => (window = undefined));
    if (window.isMinimized()) window.restore();
    window.focus();
  };
  registerContractHandlers(ipcMain, { isTrustedSender: (event) => isAppFrame(event, (w) => w === window), services });
  forwardEvents(services, (channel, payload) => {
    if (window && !window.isDestroyed()) window.webContents.send(channel, payload);
  });

  const party = new PartyControl(services, () => refreshMenus());
  const actions: MenuActions = {
    openConfig: () => void chooseConfig(window).then((file) => (file === undefined ? undefined : openConfig(services, file))),
    openRecentConfig: (file) => void openConfig(services, file),
    showWindow,
    quit: () => app.quit(),
    join: () => {
      const [file] = settings.recentConfigs();
      if (file) void party.join(file);
    },
    pause: () => void party.pause(),
    resume: () => void party.resume(),
    leave: (finish) => void party.leave(finish),
  };
  const tray = new Tray(nativeImage.createFromPath(path.join(root, 'assets', 'icons', 'tray.png')));
  const refreshMenus = () => {
    const partyMenu: PartyMenuState = { ...party.view, config: settings.recentConfigs()[0] ?? null };
    const options = { mac: process.platform === 'darwin', devTools: !app.isPackaged };
    Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(settings.recentConfigs(), actions, options, partyMenu)));
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(actions, partyMenu)));
    tray.setToolTip(partyTooltip(party.view));
  };
  services.subscribe((event, payload) => {
    if (event !== 'config.opened') return;
    settings.noteRecentConfig((payload as { file: string }).file);
    refreshMenus();
  });
  refreshMenus();

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  leaveBeforeQuitting(party, () => window);
  stopServicesOnQuit(services);
  showWindow();
}

function openWindow(preload: string, settings: AppSettings, onClosed: () => void): BrowserWindow {
  const window = createMainWindow(preload, settings.windowState(), nativeTheme.shouldUseDarkColors);
  window.on('close', () => settings.saveWindowState({ bounds: window.getNormalBounds(), maximized: window.isMaximized() }));
  window.on('closed', onClosed);
  return window;
}

async function chooseConfig(window: BrowserWindow | undefined): Promise<string | undefined> {
  const options = {
    title: 'Open a party config',
    properties: ['openFile' as const],
    filters: [{ name: 'Party config', extensions: ['yaml', 'yml'] }],
  };
  const chosen = await (window ? dialog.showOpenDialog(window, options) : dialog.showOpenDialog(options));
  return chosen.canceled ? undefined : chosen.filePaths[0];
}

/** The services announce the opened config (config.opened), which the window then shows: one path for every way of opening. */
async function openConfig(services: ServicesSupervisor, file: string): Promise<void> {
  const opened = await services.call('config.open', { file });
  if (!opened.ok) dialog.showErrorBox('Cannot open the party config', opened.error.message);
}

/** Quitting waits for the services to release their decode threads and files (bounded by the supervisor's stop timeout). */
function stopServicesOnQuit(services: ServicesSupervisor): void {
  let stopped = false;
  app.on('will-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void services.stop().finally(() => {
      stopped = true;
      app.quit();
    });
  });
}
