// Tests (Node, electron mocked): quitting while in a federation asks first (after the task in hand, now, cancel) and leaves before quitting.
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PartyControl } from '../../../main/app/party.main.js';
import type { ElectronMock } from './electron-mock.js';

vi.mock('electron', async () => (await import('./electron-mock.js')).createElectronMock('/tmp'));

const electron = (await import('electron')) as unknown as ElectronMock;
const { leaveBeforeQuitting, QUIT_QUESTION } = await import('../../../main/app/quit.main.js');

function setup(inFederation: boolean, response: number) {
  electron.app.removeAllListeners();
  electron.dialog.showMessageBox.mockResolvedValue({ response, checkboxChecked: false });
  const party = { inFederation, leave: vi.fn(async () => undefined) };
  const window = new EventEmitter();
  leaveBeforeQuitting(party as unknown as PartyControl, () => window as never);
  const quit = () => {
    const event = { preventDefault: vi.fn() };
    electron.app.emit('before-quit', event);
    return event;
  };
  return { party, window, quit };
}

beforeEach(() => vi.clearAllMocks());

describe('quitting', () => {
  it('out of any federation: quits without asking', () => {
    const { quit } = setup(false, 0);
    expect(quit().preventDefault).not.toHaveBeenCalled();
    expect(electron.dialog.showMessageBox).not.toHaveBeenCalled();
  });

  it('in a federation: asks over the window, leaves after the task in hand, then quits for real', async () => {
    const { party, window, quit } = setup(true, 0);
    expect(quit().preventDefault).toHaveBeenCalled();
    expect(electron.dialog.showMessageBox).toHaveBeenCalledWith(window, QUIT_QUESTION);
    expect(QUIT_QUESTION.buttons).toEqual(['Leave After the Task in Hand', 'Leave Now', 'Cancel']);
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
    expect(party.leave).toHaveBeenCalledWith(true);
    expect(quit().preventDefault).not.toHaveBeenCalled(); // the quit that follows the leave goes through
  });

  it('Leave Now aborts the task in hand', async () => {
    const { party, quit } = setup(true, 1);
    quit();
    await vi.waitFor(() => expect(electron.app.quit).toHaveBeenCalled());
    expect(party.leave).toHaveBeenCalledWith(false);
  });

  it('Cancel stays in the federation and does not quit; asking twice at once shows one dialog', async () => {
    const { party, quit } = setup(true, 2);
    quit();
    expect(quit().preventDefault).toHaveBeenCalled();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(electron.dialog.showMessageBox).toHaveBeenCalledTimes(1);
    expect(party.leave).not.toHaveBeenCalled();
    expect(electron.app.quit).not.toHaveBeenCalled();
  });
});
