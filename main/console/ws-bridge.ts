// Runs in the console's process (plain Node): one browser's WebSocket bridged to the services through the contract.
import type { WebSocket } from 'ws';
import { isMethodName, parseArguments } from '../../common/contract/arguments.js';
import { failure } from '../../common/contract/envelope.js';
import type { Envelope } from '../../common/contract/envelope.js';
import { decodeWire, encodeWire } from '../../common/contract/wire-json.js';
import type { ServicesClient } from '../services/services-client.js';

/** A request as the renderer's console transport sends it. */
interface Request {
  id: number;
  method: string;
  args: unknown;
}

/**
 * The same door as Electron's IPC: the method must be in the contract and its arguments must parse before the
 * services see them, and every answer is an envelope. A message that is not a request at all closes the socket
 * (1008, policy violation): only the app's own page speaks here. A malformed frame closes only its own socket.
 */
export function bridgeSocket(socket: WebSocket, services: ServicesClient): void {
  const unsubscribe = services.subscribe((event, payload) => socket.send(encodeWire({ event, payload })));
  socket.on('close', unsubscribe);
  // A frame ws cannot take (a reserved opcode, one over maxPayload, no mask): ws has already closed the socket with the
  // reason's code (1002, 1009); said here once per socket, since one connection errs at most once.
  socket.on('error', (error) => console.error(`tributary console: closed a WebSocket: ${error.message}`));
  socket.on('message', (data, isBinary) => {
    const request = isBinary ? undefined : asRequest(data.toString());
    if (!request) return socket.close(1008, 'not a contract request');
    void answer(request, services).then((result) => socket.send(encodeWire({ id: request.id, result })));
  });
}

async function answer({ method, args }: Request, services: ServicesClient): Promise<Envelope<unknown>> {
  if (!isMethodName(method)) return failure('bad-request', `no method ${JSON.stringify(method)}`);
  const parsed = parseArguments(method, args);
  if (!parsed.ok) return parsed;
  return services.call(method, parsed.value).catch((error: unknown) => failure('internal', `${method}: ${String(error)}`));
}

function asRequest(text: string): Request | undefined {
  let message: unknown;
  try {
    message = decodeWire(text);
  } catch {
    return undefined;
  }
  const { id, method } = (message ?? {}) as Partial<Request>;
  return Number.isSafeInteger(id) && typeof method === 'string' ? (message as Request) : undefined;
}
