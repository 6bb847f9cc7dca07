// Test helper (Node): a stand-in for the `electron` module (the binary cannot run here), recording what the app asks of it.
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

export class FakeWebContents extends EventEmitter {
  readonly send = vi.fn();
  readonly setWindowOpenHandler = vi.fn();
  readonly mainFrame = { parent: null, url: 'tributary://app/index.html' };
}

export class FakeBrowserWindow extends EventEmitter {
  static readonly created: FakeBrowserWindow[] = [];
  static readonly fromWebContents = vi.fn((contents: unknown) => FakeBrowserWindow.created.find((w) => w.webContents === contents) ?? null);
  readonly webContents = new FakeWebContents();
  readonly loadURL = vi.fn(async () => undefined);
  readonly show = vi.fn();
  readonly focus = vi.fn();
  readonly restore = vi.fn();
  readonly maximize = vi.fn();
  readonly isMinimized = vi.fn(() => false);
  readonly isMaximized = vi.fn(() => false);
  readonly isDestroyed = vi.fn(() => false);
  readonly getNormalBounds = vi.fn(() => ({ x: 10, y: 20, width: 1100, height: 800 }));
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.created.push(this);
  }
}

export class FakeUtilityProcess extends EventEmitter {
  static readonly forked: FakeUtilityProcess[] = [];
  readonly postMessage = vi.fn();
  readonly kill = vi.fn(() => true);
  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: { env: Record<string, string> } & Record<string, unknown>,
  ) {
    super();
    FakeUtilityProcess.forked.push(this);
  }
}

export function createElectronMock(userData: string) {
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    getPath: vi.fn(() => userData),
    getVersion: vi.fn(() => '0.1.0'),
    requestSingleInstanceLock: vi.fn(() => true),
    whenReady: vi.fn(() => Promise.resolve()),
    quit: vi.fn(),
    exit: vi.fn(),
  });
  const fakeSession = {
    protocol: { handle: vi.fn() },
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    setDevicePermissionHandler: vi.fn(),
  };
  const electron = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn(), on: vi.fn() },
    ipcRenderer: { invoke: vi.fn(), on: vi.fn(), removeListener: vi.fn() },
    contextBridge: { exposeInMainWorld: vi.fn() },
    protocol: { registerSchemesAsPrivileged: vi.fn() },
    session: { defaultSession: fakeSession },
    Menu: { buildFromTemplate: vi.fn((template: unknown) => ({ template })), setApplicationMenu: vi.fn() },
    Tray: vi.fn(function (this: Record<string, unknown>, image: unknown) {
      Object.assign(this, { image, setToolTip: vi.fn(), setContextMenu: vi.fn() });
    }),
    nativeImage: { createFromPath: vi.fn((file: string) => ({ file })) },
    nativeTheme: { shouldUseDarkColors: false },
    dialog: {
      showOpenDialog: vi.fn(),
      showErrorBox: vi.fn(),
      showMessageBox: vi.fn(async () => ({ response: 2, checkboxChecked: false })),
    },
    shell: { openPath: vi.fn() },
    safeStorage: {
      isEncryptionAvailable: vi.fn(() => true),
      getSelectedStorageBackend: vi.fn(() => 'gnome_libsecret'),
      encryptString: vi.fn((text: string) => Buffer.from(`sealed:${text}`)),
      decryptString: vi.fn((sealed: Buffer) => sealed.toString().replace(/^sealed:/, '')),
    },
    utilityProcess: {
      fork: vi.fn(
        (modulePath: string, args: string[], options: FakeUtilityProcess['options']) => new FakeUtilityProcess(modulePath, args, options),
      ),
    },
  };
  return { ...electron, default: electron };
}

export type ElectronMock = ReturnType<typeof createElectronMock>;
