// Runs in Electron main: quitting while in a federation asks first, then leaves it cleanly before the services stop.
import { app, dialog } from 'electron';
import type { BrowserWindow, MessageBoxOptions } from 'electron';
import type { PartyControl } from './party.main.js';

export type QuitChoice = 'finish' | 'abort' | 'cancel';

const CHOICES: readonly QuitChoice[] = ['finish', 'abort', 'cancel'];

export const QUIT_QUESTION: MessageBoxOptions = {
  type: 'question',
  title: 'Leave the federation?',
  message: 'Tributary is taking part in a federation. Quitting leaves it.',
  detail:
    'After the task in hand: the round being trained finishes and its update is sent, then Tributary quits.\n' +
    'Now: the task in hand is stopped within a batch, the server is told this site is gone, and Tributary quits.',
  buttons: ['Leave After the Task in Hand', 'Leave Now', 'Cancel'],
  defaultId: 0,
  cancelId: 2,
  noLink: true,
};

/**
 * 'before-quit' comes before any window closes and before 'will-quit' stops the services, so the party can still
 * say goodbye. Quitting again while a finishing leave waits asks again (Leave Now turns it into an abort).
 */
export function leaveBeforeQuitting(party: PartyControl, window: () => BrowserWindow | undefined): void {
  let left = false;
  let asking = false;
  app.on('before-quit', (event) => {
    if (left || !party.inFederation) return;
    event.preventDefault();
    if (asking) return;
    asking = true;
    void ask(window())
      .then(async (choice) => {
        if (choice === 'cancel') return;
        await party.leave(choice === 'finish');
        left = true;
        app.quit();
      })
      .finally(() => (asking = false));
  });
}

async function ask(window: BrowserWindow | undefined): Promise<QuitChoice> {
  const { response } = await (window ? dialog.showMessageBox(window, QUIT_QUESTION) : dialog.showMessageBox(QUIT_QUESTION));
  return CHOICES[response] ?? 'cancel';
}
