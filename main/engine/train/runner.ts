// Runs on the host (the main process, the CLI, a test): starts the training thread and turns its messages into promises and progress events.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../../data/pool/worker-script.js';
import { limitTensorflowThreadsFor } from '../tensorflow-threads.js';
import type { CheckedWeights, NamedArray } from '../weights.js';
import type { EvaluateResult } from './evaluator.js';
import type { OpenedInfo, Reply, Request, RequestType, Running, TrainingSettings } from './protocol.js';
import type { TrainProgress, TrainResult } from './trainer.js';

const TF_LOG_LEVEL = 'TF_CPP_MIN_LOG_LEVEL';

/** running: takes calls. closing/closed: close() was called. dead: the thread ended on its own (a crash, an exit). */
export type RunnerState = 'running' | 'closing' | 'closed' | 'dead';

export interface RunnerEvents {
  /** Every training's batch and epoch events, whichever call started it. */
  progress: [event: TrainProgress];
  /** The thread ended without being closed; every call in flight has been rejected. */
  died: [error: Error];
}

export type OpenOptions = Omit<Extract<Request, { type: 'open' }>, 'type' | 'id'>;
export type RoundSettings = Omit<Extract<Request, { type: 'configure' }>, 'type' | 'id'>;

/** A request before the runner numbers it (distributed over the union, so each kind keeps its own fields). */
type Unsent<T extends RequestType = RequestType> = T extends RequestType ? Omit<Extract<Request, { type: T }>, 'id'> : never;
type ReplyOf<T extends Reply['type']> = Extract<Reply, { type: T }>;

interface Call {
  type: RequestType;
  expects: Reply['type'];
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  onProgress?: (event: TrainProgress) => void;
}

/**
 * One training thread, which owns tfjs, the backend, the model and the data handler, so the host's event loop only
 * passes messages. Calls run one at a time in the thread: a call made while another runs is refused (stop and close
 * excepted), so wait for each promise.
 */
export class TrainingRunner extends EventEmitter<RunnerEvents> {
  readonly #worker: Worker;
  readonly #calls = new Map<number, Call>();
  readonly #exited: Promise<void>;
  #nextId = 0;
  #state: RunnerState = 'running';
  /** The thread's uncaught error, reported when it exits. */
  #crash: Error | undefined;
  /** Why calls are refused once the thread has ended. */
  #ended: string | undefined;

  constructor() {
    super();
    // TensorFlow (tfjs-node, in the thread) reads its log level from the process's own environment, which only the main
    // thread can set (a worker's process.env is a copy): its INFO lines, CPU features it was not built for, are noise in
    // a site's log. Its warnings and errors stay.
    process.env[TF_LOG_LEVEL] ||= '1';
    const { script, options } = workerScript(import.meta.url, 'training.worker');
    this.#worker = new Worker(script, options);
    this.#worker.on('message', (reply: Reply) => this.#receive(reply));
    this.#worker.on('error', (error) => (this.#crash = error));
    this.#exited = new Promise((resolve) => this.#worker.once('exit', (code) => resolve(this.#onExit(code))));
    this.#worker.unref(); // an idle runner does not keep the process alive; a call in flight does
  }

  get state(): RunnerState {
    return this.#state;
  }

  /** Opens the config's data and builds the config's `model:` (or `options.model`, which wins) on the config's backend (or `options.backend`). */
  async open(options: OpenOptions): Promise<OpenedInfo> {
    await limitTensorflowThreadsFor(options.configFile);
    return (await this.#call({ type: 'open', ...options }, 'opened')).info;
  }

  /** A federation round's learning rate and batch size, for the trainings that follow; resolves with the settings now in force. */
  async configure(settings: RoundSettings): Promise<TrainingSettings> {
    return (await this.#call({ type: 'configure', ...settings }, 'configured')).settings;
  }

  /** Resolves when the epochs (or `maxSteps` batches, if fewer) are done or a stop took effect (then `stopped` is true). */
  async train(
    epochs: number,
    options: { maxSteps?: number; progressEveryMs?: number; onProgress?: (event: TrainProgress) => void } = {},
  ): Promise<TrainResult> {
    const { onProgress, progressEveryMs, maxSteps } = options;
    const request: Unsent<'train'> = {
      type: 'train',
      epochs,
      ...(maxSteps !== undefined && { maxSteps }),
      ...(progressEveryMs !== undefined && { progressEveryMs }),
    };
    return (await this.#call(request, 'trained', [], onProgress)).result;
  }

  /** Evaluates on the test split; a stop rejects it. */
  async evaluate(): Promise<EvaluateResult> {
    return (await this.#call({ type: 'evaluate' }, 'evaluated')).result;
  }

  /** Stops a running train or evaluate within one batch; resolves with which one it stopped, if any. */
  async stop(): Promise<Running | null> {
    return (await this.#call({ type: 'stop' }, 'stopping')).stopping;
  }

  async getWeights(): Promise<NamedArray[]> {
    return (await this.#call({ type: 'getWeights' }, 'weights')).arrays;
  }

  /** The arrays' buffers move to the training thread where an array is its buffer's only view: such arrays are empty here afterwards. */
  async setWeights(arrays: CheckedWeights): Promise<void> {
    const whole = arrays
      .map((a) => a.data)
      .filter((data) => data.buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength);
    await this.#call({ type: 'setWeights', arrays }, 'weightsSet', [...new Set(whole.map((data) => data.buffer as ArrayBuffer))]);
  }

  /** Stops what runs, frees the model and the data, and ends the thread. Safe to call at any time, more than once. */
  async close(): Promise<void> {
    if (this.#state === 'running') {
      const closed = this.#call({ type: 'close' }, 'closed');
      this.#state = 'closing'; // after sending: from here on, only the close goes through
      await closed.catch(() => {}); // a thread that dies meanwhile is closed too
      await this.#worker.terminate();
    }
    await this.#exited;
  }

  #call<R extends Reply['type']>(
    request: Unsent,
    expects: R,
    transfer: ArrayBuffer[] = [],
    onProgress?: (event: TrainProgress) => void,
  ): Promise<ReplyOf<R>> {
    if (this.#state !== 'running') {
      return Promise.reject(new Error(`${request.type}: the training thread is not running (${this.#ended ?? 'it is closing'})`));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const call: Call = {
        type: request.type,
        expects,
        resolve: resolve as (reply: Reply) => void,
        reject,
        ...(onProgress && { onProgress }),
      };
      try {
        this.#worker.postMessage({ ...request, id }, transfer);
      } catch (error) {
        reject(
          new Error(`${request.type}: the request could not be sent to the training thread: ${(error as Error).message}`, { cause: error }),
        );
        return;
      }
      this.#calls.set(id, call);
      this.#worker.ref();
    });
  }

  #receive(reply: Reply): void {
    const call = reply.id === null ? undefined : this.#calls.get(reply.id);
    if (!call) return; // an answer to a request this runner did not make
    if (reply.type === 'progress') {
      call.onProgress?.(reply.event);
      this.emit('progress', reply.event);
      return;
    }
    this.#calls.delete(reply.id!);
    if (this.#calls.size === 0) this.#worker.unref();
    if (reply.type === 'error') call.reject(new Error(reply.message));
    else if (reply.type === call.expects) call.resolve(reply);
    else call.reject(new Error(`${call.type}: the training thread answered ${reply.type}, expected ${call.expects}`));
  }

  #onExit(code: number): void {
    const closed = this.#state === 'closing' || this.#state === 'closed';
    const how = closed ? 'was closed' : this.#crash ? 'crashed' : `exited with code ${code}`;
    const detail = this.#crash ? `: ${this.#crash.message}` : '';
    this.#ended = `it ${how}${detail}`;
    this.#state = closed ? 'closed' : 'dead';
    for (const call of this.#calls.values())
      call.reject(new Error(`${call.type}: the training thread ${how} before it answered${detail}`, { cause: this.#crash }));
    this.#calls.clear();
    if (!closed) this.emit('died', new Error(`the training thread ${how}${detail}`, { cause: this.#crash }));
  }
}
