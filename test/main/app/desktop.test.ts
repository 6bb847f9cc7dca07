// Tests (Node, electron mocked): the desktop app put together, as far as it can run without Electron: one instance, the window,
// IPC through the utility process, sealed node keys, events, menus, quitting.
import { generateKeyPairSync } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { IpcMainInvokeEvent } from 'electron';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { METHOD_NAMES } from '../../../common/contract/contract.js';
import { callChannel } from '../../../common/contract/ipc-channels.js';
import { tempDir } from '../../fixtures/corpus.js';
import type { ElectronMock, FakeBrowserWindow, FakeUtilityProcess } from './electron-mock.js';

const userData = await tempDir('tributary-desktop-');
vi.mock('electron', async () => (await import('./electron-mock.js')).createElectronMock(userData));
vi.mock('electron-store', () => import('./conf-store.js'));

afterAll(() => fsp.rm(userData, { recursive: true, force: true }));

/** Loads the entry afresh (it acts on import), with the single-instance lock granted or not. The electron mock outlives resetModules. */
async function launch(lock = true) {
  vi.resetModules();
  const electron = (await import('electron')) as unknown as ElectronMock;
  const { BrowserWindow, utilityProcess } = electron;
  BrowserWindow.created.length = 0;
  electron.app.removeAllListeners();
  electron.app.requestSingleInstanceLock.mockReturnValue(lock);
  await import('../../../main/app/app.main.js');
  await new Promise((resolve) => setTimeout(resolve, 0));
  const window = BrowserWindow.created[0] as FakeBrowserWindow;
  const child = utilityProcess.fork.mock.results[0]?.value as FakeUtilityProcess;
  const handlerOf = (method: string) =>
    electron.ipcMain.handle.mock.calls.find(([channel]) => channel === callChannel(method as never))![1] as (
      event: IpcMainInvokeEvent,
      args: unknown,
    ) => Promise<unknown>;
  const fromWindow = {
    sender: window?.webContents,
    senderFrame: { parent: null, url: 'tributary://app/index.html' },
  } as unknown as IpcMainInvokeEvent;
  return { electron, window, child, handlerOf, fromWindow };
}

beforeEach(() => vi.clearAllMocks());

describe('the desktop app', () => {
  it('a second instance hands over to the first and quits, opening nothing', async () => {
    const { electron, window } = await launch(false);
    expect(electron.app.quit).toHaveBeenCalled();
    expect(electron.app.whenReady).not.toHaveBeenCalled();
    expect(window).toBeUndefined();
  });

  it('registers the app scheme and locks down every web contents before anything loads', async () => {
    const { electron } = await launch();
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalled();
    const contents = { on: vi.fn(), setWindowOpenHandler: vi.fn() };
    electron.app.emit('web-contents-created', {}, contents);
    expect(contents.setWindowOpenHandler).toHaveBeenCalled();
    expect(contents.on.mock.calls.map(([event]) => event)).toEqual(['will-navigate', 'will-redirect', 'will-attach-webview']);
    expect(electron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled();
    expect(electron.session.defaultSession.protocol.handle).toHaveBeenCalledWith('tributary', expect.any(Function));
  });

  it('opens one sandboxed window on the app page, with the bundled preload', async () => {
    const { window } = await launch();
    expect(window.options).toMatchObject({
      webPreferences: {
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        preload: expect.stringMatching(/dist[/\\]preload[/\\]preload\.cjs$/),
      },
    });
    expect(window.loadURL).toHaveBeenCalledWith('tributary://app/index.html');
  });

  it('starts the services in a utility process, never on the main thread', async () => {
    const { electron, child } = await launch();
    expect(electron.utilityProcess.fork).toHaveBeenCalledTimes(1);
    expect(child.modulePath).toMatch(/dist[/\\]main[/\\]services[/\\]services\.process\.js$/);
    expect(JSON.parse(child.options.env.TRIBUTARY_SERVICES_OPTIONS!)).toEqual({ recentConfigs: [], nodeKeys: { kind: 'keychain' } });
    expect(child.options).toMatchObject({ serviceName: 'Tributary services' });
  });

  it('seals the node key the utility process hands over, unseals it when asked, and forgets it on retire; nothing readable on disk', async () => {
    const { electron, child } = await launch();
    child.emit('message', { kind: 'ready' });
    const keyFile = '/site/node-key.pem';
    const pem = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const answered = async (id: number, request: unknown) => {
      child.emit('message', { kind: 'nodeKey', id, request });
      await vi.waitFor(() => expect(child.postMessage).toHaveBeenCalledWith(expect.objectContaining({ kind: 'nodeKeyReply', id })));
      return child.postMessage.mock.calls
        .map(([message]) => message as { id?: number; result?: unknown })
        .find((message) => message.id === id)!.result;
    };
    expect(await answered(1, { op: 'save', keyFile, pem })).toEqual({ ok: true, value: null });
    expect(electron.safeStorage.encryptString).toHaveBeenCalledWith(pem);
    const settings = await fsp.readFile(path.join(userData, 'settings.json'), 'utf8');
    expect(settings).toContain(`node-key:${keyFile}`);
    expect(settings).not.toContain('PRIVATE KEY');
    expect(await answered(2, { op: 'load', keyFile })).toEqual({ ok: true, value: pem });
    expect(await answered(3, { op: 'delete', keyFile })).toEqual({ ok: true, value: null });
    expect(await answered(4, { op: 'load', keyFile })).toEqual({ ok: true, value: null });
  });

  it('tells the services to keep key files, and why, where safeStorage would only obfuscate (basic_text)', async () => {
    vi.spyOn(process, 'platform', 'get').mockReturnValue('linux');
    const electron = (await import('electron')) as unknown as ElectronMock;
    electron.safeStorage.getSelectedStorageBackend.mockReturnValue('basic_text');
    try {
      const { child } = await launch();
      expect(JSON.parse(child.options.env.TRIBUTARY_SERVICES_OPTIONS!).nodeKeys).toEqual({
        kind: 'file',
        note: expect.stringContaining('not sealed: this system has no keyring'),
      });
    } finally {
      electron.safeStorage.getSelectedStorageBackend.mockReturnValue('gnome_libsecret');
      vi.restoreAllMocks();
    }
  });

  it('registers exactly one IPC handler per contract method', async () => {
    const { electron } = await launch();
    const channels = electron.ipcMain.handle.mock.calls.map(([channel]) => channel);
    expect([...channels].sort()).toEqual(METHOD_NAMES.map(callChannel).sort());
  });

  it('carries a call from the window to the utility process and its reply back; refuses another frame', async () => {
    const { child, handlerOf, fromWindow } = await launch();
    child.emit('message', { kind: 'ready' });
    const reply = handlerOf('config.open')(fromWindow, { file: '/site/party.yaml' });
    await vi.waitFor(() =>
      expect(child.postMessage).toHaveBeenCalledWith({ kind: 'call', id: 1, method: 'config.open', args: { file: '/site/party.yaml' } }),
    );
    child.emit('message', { kind: 'reply', id: 1, result: { ok: true, value: 'opened' } });
    expect(await reply).toEqual({ ok: true, value: 'opened' });
    const subframe = { ...fromWindow, senderFrame: { parent: {}, url: 'tributary://app/index.html' } } as unknown as IpcMainInvokeEvent;
    expect(await handlerOf('config.open')(subframe, { file: '/site/party.yaml' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it("relays the services' events to the window, and remembers each opened config in settings and the menu", async () => {
    const { electron, child, window } = await launch();
    child.emit('message', { kind: 'event', event: 'config.opened', payload: { file: '/site/party.yaml' } });
    expect(window.webContents.send).toHaveBeenCalledWith('tributary:event:config.opened', { file: '/site/party.yaml' });
    const menu = electron.Menu.setApplicationMenu.mock.calls.at(-1)![0] as { template: unknown };
    expect(JSON.stringify(menu.template)).toContain('/site/party.yaml');
  });

  it('shows the tray, and brings the window forward when a second instance starts', async () => {
    const { electron, window } = await launch();
    expect(electron.Tray).toHaveBeenCalledWith({ file: expect.stringMatching(/assets[/\\]icons[/\\]tray\.png$/) });
    window.focus.mockClear();
    electron.app.emit('second-instance');
    expect(window.focus).toHaveBeenCalled();
  });

  it('the Federation menu and the tray follow the party: Join joins the config opened last, the tooltip says what the party does', async () => {
    const { electron, child } = await launch();
    child.emit('message', { kind: 'ready' });
    child.emit('message', { kind: 'event', event: 'config.opened', payload: { file: '/site/party.yaml' } });
    const tray = electron.Tray.mock.instances[0] as unknown as {
      setContextMenu: ReturnType<typeof vi.fn>;
      setToolTip: ReturnType<typeof vi.fn>;
    };
    const trayItems = () =>
      (tray.setContextMenu.mock.calls.at(-1)![0] as { template: { label?: string; enabled?: boolean; click?: () => void }[] }).template;
    const join = trayItems().find((item) => item.label === 'Join the Federation')!;
    expect(join.enabled).toBe(true);
    join.click!();
    await vi.waitFor(() =>
      expect(child.postMessage).toHaveBeenCalledWith({ kind: 'call', id: 1, method: 'party.join', args: { file: '/site/party.yaml' } }),
    );
    const joined = {
      stage: 'joined',
      state: { type: 'idle', nodeId: '7' },
      pauseRequested: false,
      leaving: null,
      file: '/site/party.yaml',
      node: null,
      federation: null,
      backend: null,
      model: null,
    };
    child.emit('message', { kind: 'event', event: 'party.state', payload: joined });
    expect(trayItems().find((item) => item.label === 'Join the Federation')!.enabled).toBe(false);
    expect(trayItems().find((item) => item.label === 'Pause Taking Part')!.enabled).toBe(true);
    expect(tray.setToolTip).toHaveBeenLastCalledWith('Tributary: waiting for the next round');
    const menu = electron.Menu.setApplicationMenu.mock.calls.at(-1)![0] as {
      template: { label?: string; submenu?: { label?: string; enabled?: boolean }[] }[];
    };
    expect(menu.template.find((item) => item.label === '&Federation')!.submenu!.find((item) => item.label === 'Leave Now')!.enabled).toBe(
      true,
    );
  });

  it('quitting while joined asks first, leaves the federation, and only then stops the services', async () => {
    const { electron, child, window } = await launch();
    child.emit('message', { kind: 'ready' });
    child.emit('message', {
      kind: 'event',
      event: 'party.state',
      payload: {
        stage: 'joined',
        state: { type: 'idle', nodeId: '7' },
        pauseRequested: false,
        leaving: null,
        file: null,
        node: null,
        federation: null,
        backend: null,
        model: null,
      },
    });
    electron.dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false });
    const beforeQuit = { preventDefault: vi.fn() };
    electron.app.emit('before-quit', beforeQuit);
    expect(beforeQuit.preventDefault).toHaveBeenCalled();
    expect(electron.dialog.showMessageBox).toHaveBeenCalledWith(
      window,
      expect.objectContaining({ buttons: ['Leave After the Task in Hand', 'Leave Now', 'Cancel'] }),
    );
    await vi.waitFor(() =>
      expect(child.postMessage).toHaveBeenCalledWith({ kind: 'call', id: 1, method: 'party.leave', args: { finish: false } }),
    );
    expect(electron.app.quit).not.toHaveBeenCalled();
    child.emit('message', { kind: 'reply', id: 1, result: { ok: true, value: {} } });
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
    expect(child.postMessage).not.toHaveBeenCalledWith({ kind: 'stop' });
  });

  it('quitting waits for the services to stop', async () => {
    const { electron, child } = await launch();
    child.emit('message', { kind: 'ready' });
    const preventDefault = vi.fn();
    electron.app.emit('will-quit', { preventDefault });
    expect(preventDefault).toHaveBeenCalled();
    expect(child.postMessage).toHaveBeenLastCalledWith({ kind: 'stop' });
    expect(electron.app.quit).not.toHaveBeenCalled();
    child.emit('exit', 0);
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
  });
});
