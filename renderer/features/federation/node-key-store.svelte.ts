// Runs in the renderer: this site's node key as the Federation page sees it, and the operator's actions on it: create, save the public key, reset.
import type { NodeKey } from '../../../common/contract/party-api.js';
import { api } from '../../lib/api.js';
import { savedPublicKeyWords } from './node-key-words.js';
import type { Outcome } from './node-key-words.js';

type Action = 'create' | 'save' | 'reset';

class NodeKeyStore {
  nodeKey = $state<NodeKey | null>(null);
  /** Why the key could not be looked at (a config that does not load). */
  loadError = $state<string | null>(null);
  busy = $state<Action | null>(null);
  /** What the last action did, or why it was refused. */
  outcome = $state<Outcome | null>(null);
  /** The last save found another file where the public key goes, and left it: the operator may replace it. */
  offerReplace = $state(false);

  /** What an action said of a key that has gone since (a leave retired it, a join made another) would mislead: it goes too. */
  load = async (file: string): Promise<void> => {
    const key = await api.party.nodeKey({ file });
    const next = key.ok ? key.value : null;
    if (next?.fingerprint !== this.nodeKey?.fingerprint || next?.keyFile !== this.nodeKey?.keyFile) this.#forgetOutcome();
    this.nodeKey = next;
    this.loadError = key.ok ? null : key.error.message;
  };

  create = (file: string): Promise<void> =>
    this.#act('create', file, async () => {
      const created = await api.party.createNodeKey({ file });
      if (!created.ok) return created.error.message;
      this.nodeKey = created.value;
      this.outcome = { tone: 'success', text: `Created node key ${created.value.fingerprint}. The next join uses it.` };
      return null;
    });

  savePublicKey = (file: string, overwrite = false): Promise<void> =>
    this.#act('save', file, async () => {
      const saved = await api.party.savePublicKey({ file, overwrite });
      if (!saved.ok) return saved.error.message;
      const { offerReplace, ...outcome } = savedPublicKeyWords(saved.value);
      this.outcome = outcome;
      this.offerReplace = offerReplace;
      return null;
    });

  reset = (file: string, fingerprint: string | null): Promise<void> =>
    this.#act('reset', file, async () => {
      const reset = await api.party.resetNodeKey({ file, fingerprint });
      if (!reset.ok) return reset.error.message;
      this.nodeKey = reset.value.nodeKey;
      this.outcome = { tone: 'success', text: `Deleted ${reset.value.removed}. The next join makes a new key, a new node.` };
      return null;
    });

  /**
   * `run` answers why the services refused, or null once it has said what it did. A refusal may mean the page showed
   * a key that is not there any more (another window reset it): look again.
   */
  async #act(action: Action, file: string, run: () => Promise<string | null>): Promise<void> {
    this.busy = action;
    this.#forgetOutcome();
    try {
      const refusal = await run();
      if (refusal === null) return;
      await this.load(file);
      this.outcome = { tone: 'error', text: refusal };
    } finally {
      this.busy = null;
    }
  }

  #forgetOutcome(): void {
    this.outcome = null;
    this.offerReplace = false;
  }
}

export const nodeKeyStore = new NodeKeyStore();
