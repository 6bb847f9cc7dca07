// Runs in the services process (plain Node): the invitation methods: open one to see what it would trust, apply it to a config.
import type { ArgsOf, ResultIn } from '../../common/contract/contract.js';
import { openInvitation } from '../federation/invitation/invitation.js';
import type { EventBus } from './event-bus.js';
import { applyInvitation } from './invitation-apply.js';
import type { NodeKeyStorage } from './node-key-storage.js';
import { ServiceError } from './service-errors.js';

export class InvitationService {
  constructor(
    readonly events: EventBus,
    readonly storage: NodeKeyStorage,
    /** The config of the federation the party is in, if any: its server and CA must not change under it. */
    readonly federationFile: () => string | null,
    /** The node key changes' turn-taking: applying may create the key, so it must not run beside a Create or Reset. */
    readonly exclusive: <T>(task: () => Promise<T>) => Promise<T>,
  ) {}

  open = async ({ text }: ArgsOf<'party.openInvitation'>): Promise<ResultIn<'party.openInvitation'>> => openInvitation(text).view;

  /** Opened again rather than trusting what the page showed: the text checked is the text applied, at this moment. */
  apply = ({ file, text }: ArgsOf<'party.applyInvitation'>): Promise<ResultIn<'party.applyInvitation'>> =>
    this.exclusive(() => this.#apply(file, text));

  #apply = async (file: string, text: string): Promise<ResultIn<'party.applyInvitation'>> => {
    const joined = this.federationFile();
    if (joined !== null)
      throw new ServiceError('failed', `cannot apply an invitation while the party is in the federation of ${joined}: leave first`);
    const applied = await applyInvitation(file, openInvitation(text), this.storage);
    const { federation, server, caSha256 } = applied.invitation;
    this.events.emit('party.notice', {
      time: new Date().toISOString(),
      message:
        `invitation to ${federation} applied to ${applied.file}: server ${server}, CA ${caSha256} pinned; ` +
        `node key ${applied.nodeKey.fingerprint}${applied.keyCreated ? ' created' : ' kept'}` +
        (applied.model && applied.model !== 'unchanged' ? `; model ${applied.invitation.model} ${applied.model}` : ''),
    });
    return applied;
  };
}
