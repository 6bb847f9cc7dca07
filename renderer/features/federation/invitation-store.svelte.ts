// Runs in the renderer: an invitation being opened on the Federation page: the text pasted or read from a file, what it would trust, applying it.
import type { ResultOf } from '../../../common/contract/contract.js';
import type { InvitationView } from '../../../common/invitation.js';
import { MAX_INVITATION_BYTES } from '../../../common/invitation.js';
import { api } from '../../lib/api.js';

type Applied = ResultOf<'party.applyInvitation'>;
type Step = 'closed' | 'entering' | 'checked' | 'applied';

class InvitationStore {
  step = $state<Step>('closed');
  text = $state('');
  /** What the services found in it: shown before anything is applied. */
  view = $state<InvitationView | null>(null);
  applied = $state<Applied | null>(null);
  error = $state<string | null>(null);
  busy = $state(false);

  begin = (): void => {
    this.step = 'entering';
    this.text = '';
    this.view = null;
    this.applied = null;
    this.error = null;
  };

  close = (): void => {
    this.step = 'closed';
    this.error = null;
  };

  /** A file far larger than any invitation is not read at all; one a little too large reaches the services, which say so. */
  readFile = async (file: File): Promise<void> => {
    if (file.size > 4 * MAX_INVITATION_BYTES) {
      this.error = `${file.name} is ${file.size} bytes: not an invitation (an invitation is at most ${MAX_INVITATION_BYTES} bytes)`;
      return;
    }
    this.text = await file.text();
    await this.check();
  };

  check = async (): Promise<void> => {
    await this.#run(async () => {
      const opened = await api.party.openInvitation({ text: this.text });
      if (!opened.ok) return opened.error.message;
      this.view = opened.value;
      this.step = 'checked';
      return null;
    });
  };

  apply = async (file: string): Promise<Applied | null> => {
    let done: Applied | null = null;
    await this.#run(async () => {
      const applied = await api.party.applyInvitation({ file, text: this.text });
      if (!applied.ok) return applied.error.message;
      done = this.applied = applied.value;
      this.step = 'applied';
      return null;
    });
    return done;
  };

  async #run(task: () => Promise<string | null>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      this.error = await task();
    } finally {
      this.busy = false;
    }
  }
}

export const invitationStore = new InvitationStore();
