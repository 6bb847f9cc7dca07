// Runs in the services process (plain Node): the node key methods: look at a config's key, create it without joining, save its public key, reset it.
import type { ArgsOf, ResultIn } from '../../common/contract/contract.js';
import { loadPartyConfig } from '../config/party-config.js';
import type { EventBus } from './event-bus.js';
import { nodeKeyOf } from './node-key.js';
import { createNodeKey, resetNodeKey, savePublicKey } from './node-key-actions.js';
import type { NodeKeyStorage } from './node-key-storage.js';
import { ServiceError } from './service-errors.js';

/**
 * Changes run one at a time: two Create clicks must not seal two keys under one name, one of them lost (applying an
 * invitation, which may create the key, takes its turn through `exclusive`). A party in a federation holds its key (it
 * signs every call with it), so creating and resetting wait until it has left.
 */
export class NodeKeyService {
  readonly #events: EventBus;
  readonly #storage: NodeKeyStorage;
  readonly #federationFile: () => string | null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(events: EventBus, storage: NodeKeyStorage, federationFile: () => string | null) {
    this.#events = events;
    this.#storage = storage;
    this.#federationFile = federationFile;
  }

  nodeKey = async ({ file }: ArgsOf<'party.nodeKey'>): Promise<ResultIn<'party.nodeKey'>> =>
    nodeKeyOf(await loadPartyConfig(file), this.#storage);

  create = ({ file }: ArgsOf<'party.createNodeKey'>): Promise<ResultIn<'party.createNodeKey'>> =>
    this.exclusive(async () => {
      this.#refuseInFederation('create a node key');
      const created = await createNodeKey(await loadPartyConfig(file), this.#storage);
      this.#notice(
        `node key ${created.fingerprint} created for ${created.keyFile}, not yet used: the next join uses it. Its public key is on the Federation page`,
      );
      return created;
    });

  savePublicKey = ({ file, overwrite }: ArgsOf<'party.savePublicKey'>): Promise<ResultIn<'party.savePublicKey'>> =>
    this.exclusive(async () => {
      const saved = await savePublicKey(await loadPartyConfig(file), this.#storage, overwrite);
      if (saved.outcome === 'written' || saved.outcome === 'replaced')
        this.#notice(`public key of node key ${saved.fingerprint} saved to ${saved.publicKeyFile}`);
      return saved;
    });

  reset = ({ file, fingerprint }: ArgsOf<'party.resetNodeKey'>): Promise<ResultIn<'party.resetNodeKey'>> =>
    this.exclusive(async () => {
      this.#refuseInFederation('reset the node key');
      const reset = await resetNodeKey(await loadPartyConfig(file), this.#storage, fingerprint);
      this.#notice(
        `node key ${fingerprint ?? '(unreadable)'} reset: deleted ${reset.removed}. ` +
          'The next join makes a new key, and the server knows this site as a new node',
      );
      return reset;
    });

  /** Runs `task` after every key change asked for before it has settled. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #refuseInFederation(action: string): void {
    const joined = this.#federationFile();
    if (joined !== null)
      throw new ServiceError(
        'failed',
        `cannot ${action} while the party is in the federation of ${joined}: its node uses the key. Leave first`,
      );
  }

  #notice(message: string): void {
    this.#events.emit('party.notice', { time: new Date().toISOString(), message });
  }
}
