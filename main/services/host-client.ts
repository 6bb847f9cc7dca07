// Runs in main (plain Node): a services host seen as a ServicesClient, for the side that holds the host in its own process.
import type { ServicesClient } from './services-client.js';
import { invokeMethod } from './dispatch.js';
import type { ServicesHost } from './services-host.js';

export function hostClient(host: ServicesHost): ServicesClient {
  return {
    call: (method, args) => invokeMethod(host.handlers, method, args),
    subscribe: (listener) => host.events.subscribe(listener),
  };
}
