// Runs in the services process (plain Node): answers the supervisor's calls through the host and forwards every event.
import type { ChildMessage, ParentMessage } from './port-protocol.js';
import { isParentMessage } from './port-protocol.js';
import type { ServicesClient } from './services-client.js';

/** The services process's link to its parent, whichever kind of parent it has; it takes more than one listener. */
export interface ParentPort {
  post(message: ChildMessage): void;
  onMessage(listener: (message: unknown) => void): void;
}

export function servePort(port: ParentPort, client: ServicesClient, onStop: () => Promise<void>): void {
  client.subscribe((event, payload) => port.post({ kind: 'event', event, payload }));
  port.onMessage((message) => {
    if (!isParentMessage(message)) return;
    if (message.kind === 'stop') return void onStop();
    if (message.kind === 'call') void answer(port, client, message);
    // nodeKeyReply: the port's node key vault listens for those itself.
  });
  port.post({ kind: 'ready' });
}

async function answer(port: ParentPort, client: ServicesClient, call: Extract<ParentMessage, { kind: 'call' }>): Promise<void> {
  port.post({ kind: 'reply', id: call.id, result: await client.call(call.method, call.args) });
}

/**
 * Electron's utility process talks through `process.parentPort`; a Node child (the console, the tests) through
 * `process.send`. Neither needs an `electron` import: the parent port is a property Electron puts on `process`.
 */
export function parentPortOfThisProcess(): ParentPort {
  const electronPort = (process as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      post: (message) => electronPort.postMessage(message),
      onMessage: (listener) => electronPort.on('message', (event) => listener(event.data)),
    };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('the services process was started without a parent to talk to (no IPC channel)');
  // A parent that dies without stopping us closes the channel: nothing could reach us any more.
  process.on('disconnect', () => process.exit(0));
  return { post: (message) => send(message), onMessage: (listener) => process.on('message', listener) };
}

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}
