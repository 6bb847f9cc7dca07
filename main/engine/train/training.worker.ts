// Runs in the training thread (the worker thread a TrainingRunner starts): checks each request from the host and answers it from one TrainingSession.
import { parentPort } from 'node:worker_threads';
import { checkRequest } from './protocol.js';
import type { CheckedRequest, Reply, RequestType, Running } from './protocol.js';
import { TrainingSession } from './training-session.js';
import type { TrainProgress } from './trainer.js';

if (!parentPort) throw new Error('training.worker runs as a worker thread: start it with TrainingRunner');
const port = parentPort;
const session = new TrainingSession();

/** The one request being worked on: requests run one at a time, except stop and close, which act on it. */
let busy: { type: RequestType; controller: AbortController; done: Promise<void> } | null = null;
let closing = false;

port.on('message', (message: unknown) => void receive(message));

function post(reply: Reply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(reply, transfer);
}

async function receive(message: unknown): Promise<void> {
  const checked = checkRequest(message);
  if (!checked.ok) return post({ type: 'error', id: checked.id, message: checked.message });
  const request = checked.request;
  if (closing) return post({ type: 'error', id: request.id, message: `${request.type} refused: the training thread is closing` });
  if (request.type === 'stop') return post({ type: 'stopping', id: request.id, stopping: stop() });
  if (request.type === 'close') {
    closing = true;
    stop();
    await busy?.done;
    await session.close();
    return post({ type: 'closed', id: request.id });
  }
  if (busy) {
    return post({
      type: 'error',
      id: request.id,
      message: `${request.type} refused: the training thread is busy with ${busy.type}; wait for it to finish, or send stop`,
    });
  }
  const controller = new AbortController();
  const done = answer(request, controller.signal)
    .catch((error: unknown) => post({ type: 'error', id: request.id, message: failure(request.type, error, controller.signal) }))
    .finally(() => (busy = null));
  busy = { type: request.type, controller, done };
}

/** Stops a running train or evaluate (at its next batch); says which, if either. */
function stop(): Running | null {
  if (busy?.type !== 'train' && busy?.type !== 'evaluate') return null;
  busy.controller.abort(new Error('stopped by request'));
  return busy.type;
}

async function answer(request: Exclude<CheckedRequest, { type: 'stop' | 'close' }>, signal: AbortSignal): Promise<void> {
  const { id } = request;
  switch (request.type) {
    case 'open':
      return post({ type: 'opened', id, info: await session.open(request) });
    case 'train': {
      const onProgress = (event: TrainProgress) => post({ type: 'progress', id, event });
      const result = await session.train(request.epochs, {
        signal,
        onProgress,
        ...(request.progressEveryMs !== undefined && { progressEveryMs: request.progressEveryMs }),
        ...(request.maxSteps !== undefined && { maxSteps: request.maxSteps }),
      });
      return post({ type: 'trained', id, result });
    }
    case 'configure':
      return post({ type: 'configured', id, settings: session.configure(request) });
    case 'evaluate':
      return post({ type: 'evaluated', id, result: await session.evaluate(signal) });
    case 'getWeights': {
      const arrays = session.getWeights();
      // Fresh copies: their buffers move to the host rather than being copied again.
      return post(
        { type: 'weights', id, arrays },
        arrays.map((array) => array.data.buffer as ArrayBuffer),
      );
    }
    case 'setWeights':
      session.setWeights(request.arrays);
      return post({ type: 'weightsSet', id });
  }
}

/** A stop can surface as the signal's reason or as a load's own abort error: either way, it was the stop. */
function failure(type: RequestType, error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return `${type} was stopped before it finished`;
  return `${type} failed: ${error instanceof Error ? error.message : String(error)}`;
}
