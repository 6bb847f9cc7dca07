// Runs in main (plain Node): the services' events, each payload checked against the contract before anyone hears it.
import { events } from '../../common/contract/contract.js';
import type { EventName, PayloadIn, Unsubscribe } from '../../common/contract/contract.js';
import type { EventListener } from './services-client.js';

export class EventBus {
  readonly #listeners = new Set<EventListener>();

  /** A payload outside the contract is a bug in the emitting service: it throws there, where it can be found. */
  emit<E extends EventName>(event: E, payload: PayloadIn<E>): void {
    const parsed = events[event].payload.parse(payload);
    for (const listener of this.#listeners) listener(event, parsed);
  }

  subscribe(listener: EventListener): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
