// Runs in main (plain Node): what every surface (Electron IPC, the console's WebSocket) needs of the services, wherever they run.
import type { EventName, MethodName, Unsubscribe } from '../../common/contract/contract.js';
import type { Envelope } from '../../common/contract/envelope.js';

export type EventListener = (event: EventName, payload: unknown) => void;

/**
 * The services as a surface sees them: calls answered with envelopes (never a throw), and every event. Implemented
 * in-process over a host (hostClient) and across a process boundary (ServicesSupervisor).
 */
export interface ServicesClient {
  call(method: MethodName, args: unknown): Promise<Envelope<unknown>>;
  subscribe(listener: EventListener): Unsubscribe;
}
