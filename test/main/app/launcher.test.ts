// Tests (Node, no Electron): `npm start` where Electron cannot start says so plainly and points to the browser console.
import { describe, expect, it, vi } from 'vitest';
import { CONSOLE_HINT, launchDesktop } from '../../../main/app/launcher.js';
import type { LauncherDeps } from '../../../main/app/launcher.js';

function deps(overrides: Partial<LauncherDeps> = {}) {
  const printed: string[] = [];
  const all: LauncherDeps = {
    electronPath: vi.fn(() => '/electron/electron'),
    run: vi.fn(async () => ({ code: 0 })),
    env: { DISPLAY: ':0' },
    platform: 'linux',
    print: (text) => printed.push(text),
    ...overrides,
  };
  return { deps: all, printed: () => printed.join('\n') };
}

describe('launchDesktop', () => {
  it('runs Electron on the app and returns its exit code', async () => {
    const { deps: d, printed } = deps({ run: vi.fn(async () => ({ code: 3 })) });
    expect(await launchDesktop(d)).toBe(3);
    expect(d.run).toHaveBeenCalledWith('/electron/electron', [expect.stringMatching(/\S/)]);
    expect(printed()).toBe('');
  });

  it('without a display on Linux: says so and points to the console, without fetching Electron', async () => {
    const { deps: d, printed } = deps({ env: {} });
    expect(await launchDesktop(d)).toBe(1);
    expect(d.electronPath).not.toHaveBeenCalled();
    expect(printed()).toContain("Tributary's desktop window cannot start here: there is no display");
    expect(printed()).toContain(CONSOLE_HINT);
  });

  it('when the Electron binary cannot be downloaded: the first line of why, and the console', async () => {
    const electronPath = vi.fn(() => {
      throw new Error('Electron failed to install correctly. Please delete `node_modules/electron`\nstack...');
    });
    const { deps: d, printed } = deps({ electronPath });
    expect(await launchDesktop(d)).toBe(1);
    expect(printed()).toContain('the Electron binary is not here and could not be downloaded (Electron failed to install correctly.');
    expect(printed()).not.toContain('stack...');
    expect(printed()).toContain('npm run tributary -- console ');
  });

  it('when Electron cannot run (no binary, missing libraries, killed as it starts): says so', async () => {
    for (const result of [{ code: null, error: new Error('spawn EACCES') }, { code: 127 }, { code: null }]) {
      const { deps: d, printed } = deps({ run: vi.fn(async () => result) });
      expect(await launchDesktop(d)).toBe(1);
      expect(printed()).toContain(CONSOLE_HINT);
    }
  });

  it('on Wayland without X, and on other systems without DISPLAY, it tries', async () => {
    expect(await launchDesktop(deps({ env: { WAYLAND_DISPLAY: 'wayland-0' } }).deps)).toBe(0);
    expect(await launchDesktop(deps({ env: {}, platform: 'win32' }).deps)).toBe(0);
  });
});
