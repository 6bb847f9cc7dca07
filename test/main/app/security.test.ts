// Tests (Node, electron mocked): every navigation, new window, webview and permission request is refused.
import { describe, expect, it, vi } from 'vitest';
import type { Session, WebContents } from 'electron';
import { lockDownContents, lockDownSession } from '../../../main/app/security.main.js';
import { FakeWebContents } from './electron-mock.js';

describe('lockDownContents', () => {
  it('prevents navigation, redirects and webviews', () => {
    const contents = new FakeWebContents();
    lockDownContents(contents as unknown as WebContents);
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      const preventDefault = vi.fn();
      contents.emit(event, { preventDefault }, 'https://example.org/');
      expect(preventDefault, event).toHaveBeenCalled();
    }
  });

  it('denies every new window', () => {
    const contents = new FakeWebContents();
    lockDownContents(contents as unknown as WebContents);
    const handler = contents.setWindowOpenHandler.mock.calls[0]![0] as (details: unknown) => unknown;
    expect(handler({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
  });
});

describe('lockDownSession', () => {
  it('refuses every permission request and check, devices included', () => {
    const session = { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn(), setDevicePermissionHandler: vi.fn() };
    lockDownSession(session as unknown as Session);
    const callback = vi.fn();
    session.setPermissionRequestHandler.mock.calls[0]![0](null, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
    expect(session.setPermissionCheckHandler.mock.calls[0]![0](null, 'clipboard-read')).toBe(false);
    expect(session.setDevicePermissionHandler.mock.calls[0]![0]({})).toBe(false);
  });
});
