// Runs where the UI's main thread is (Electron main, the console): starts the services process, restarts it after a crash, relays calls and events.
import { z } from 'zod';
import type { ServicesState } from '../../common/contract/app-api.js';
import type { EventName, MethodName, Unsubscribe } from '../../common/contract/contract.js';
import { failure, success } from '../../common/contract/envelope.js';
import type { Envelope } from '../../common/contract/envelope.js';
import { isChildMessage, NodeKeyCallSchema } from './port-protocol.js';
import type { ChildMessage, NodeKeyRequest, ParentMessage } from './port-protocol.js';
import type { EventListener, ServicesClient } from './services-client.js';

/** One services process as its supervisor drives it: an Electron utility process or a Node child. */
export interface ServiceChild {
  send(message: ParentMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

/** Answers the services' requests for the node keys it seals: the PEM for `load` (null when none), null for `save` and `delete`. */
export type NodeKeyKeeper = (request: NodeKeyRequest) => Promise<string | null>;

interface SupervisorOptions {
  spawn: () => ServiceChild;
  /** The desktop app's sealed node keys; without it (the console) every node key request is refused. */
  nodeKeys?: NodeKeyKeeper;
  /** The wait before each restart after a crash; when they run out, the supervisor gives up (a crash loop). */
  restartDelaysMs?: readonly number[];
  /** A process that ran this long was healthy: its crash starts the delays over. */
  stableAfterMs?: number;
  /**
   * How long a stopping process may take before it is killed: a joined party gets a few seconds to abort its task and
   * say goodbye to the server (PartyService's shutdownGraceMs), then its training thread and files are released.
   */
  stopTimeoutMs?: number;
}

type CallMessage = Extract<ParentMessage, { kind: 'call' }>;

interface PendingCall {
  message: CallMessage;
  resolve: (result: Envelope<unknown>) => void;
}

/**
 * The services live in their own process, so a native crash in a decoder or the training engine takes down
 * neither the window nor the console. A call in flight when the process dies is answered `unavailable` rather
 * than retried: the supervisor cannot know whether it ran (a save may have happened). Calls made while the process
 * starts or restarts wait for it.
 */
export class ServicesSupervisor implements ServicesClient {
  readonly #options: Required<SupervisorOptions>;
  readonly #listeners = new Set<EventListener>();
  /** Sent and not yet answered. */
  readonly #inFlight = new Map<number, PendingCall>();
  /** Waiting for the process to be ready. */
  #waiting: PendingCall[] = [];
  #child: ServiceChild | undefined;
  #state: ServicesState = 'stopped';
  #nextId = 0;
  #crashes = 0;
  #startedAt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  #stopped: (() => void) | undefined;

  constructor(options: SupervisorOptions) {
    this.#options = {
      restartDelaysMs: [250, 1000, 4000, 15000],
      stableAfterMs: 60_000,
      stopTimeoutMs: 8000,
      nodeKeys: refuseNodeKeys,
      ...options,
    };
  }

  get state(): ServicesState {
    return this.#state;
  }

  start(): void {
    this.#launch('starting');
  }

  call(method: MethodName, args: unknown): Promise<Envelope<unknown>> {
    if (this.#state === 'stopped' || this.#state === 'failed') {
      return Promise.resolve(failure('unavailable', `the services are ${this.#state}: ${method} cannot run`));
    }
    return new Promise((resolve) => {
      const pending = { message: { kind: 'call', id: ++this.#nextId, method, args } as const, resolve };
      if (this.#state === 'ready') this.#send(pending);
      else this.#waiting.push(pending);
    });
  }

  subscribe(listener: EventListener): Unsubscribe {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Asks the process to release its threads and files and exit; kills it when it takes too long. Once. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.#setState('stopped');
    this.#failAll(this.#waiting.splice(0), 'the services were stopped');
    if (!child) return;
    const exited = new Promise<void>((resolve) => (this.#stopped = resolve));
    const killer = setTimeout(() => child.kill(), this.#options.stopTimeoutMs);
    child.send({ kind: 'stop' });
    await exited;
    clearTimeout(killer);
  }

  #launch(state: 'starting' | 'restarting'): void {
    if (this.#state !== state) this.#setState(state); // a restart keeps the state (and its detail) that announced it
    this.#startedAt = Date.now();
    let child: ServiceChild;
    try {
      child = this.#options.spawn();
    } catch (error) {
      return this.#onExit(undefined, null, error instanceof Error ? error.message : String(error));
    }
    this.#child = child;
    child.onMessage((message) => isChildMessage(message) && this.#receive(child, message));
    child.onExit((code) => this.#onExit(child, code));
  }

  #receive(child: ServiceChild, message: ChildMessage): void {
    if (message.kind === 'nodeKey') {
      void this.#answerNodeKey(child, message);
    } else if (message.kind === 'ready') {
      // A process told to stop while it started is on its way out: its exit ends the stop, not a restart.
      if (this.#state === 'stopped') return;
      this.#setState('ready');
      this.#waiting.splice(0).forEach((pending) => this.#send(pending));
    } else if (message.kind === 'reply') {
      const pending = this.#inFlight.get(message.id);
      this.#inFlight.delete(message.id);
      pending?.resolve(message.result);
    } else {
      this.#emit(message.event, message.payload);
    }
  }

  /** Answered to the child that asked, and only while it lives: a restarted process asks again if it needs to. */
  async #answerNodeKey(child: ServiceChild, message: unknown): Promise<void> {
    const call = NodeKeyCallSchema.safeParse(message);
    if (!call.success) {
      const id = (message as { id?: unknown }).id;
      if (typeof id === 'number')
        this.#reply(child, {
          kind: 'nodeKeyReply',
          id,
          result: failure('bad-request', `node key request: ${z.prettifyError(call.error)}`),
        });
      return;
    }
    const { id, request } = call.data;
    const result = await this.#options
      .nodeKeys(request)
      .then(success, (error: unknown) => failure('failed', (error as Error).message ?? String(error)));
    if (child === this.#child) this.#reply(child, { kind: 'nodeKeyReply', id, result });
  }

  #reply(child: ServiceChild, message: ParentMessage): void {
    try {
      child.send(message);
    } catch {
      // The channel closed: the exit that follows is handled there.
    }
  }

  #send(pending: PendingCall): void {
    this.#inFlight.set(pending.message.id, pending);
    try {
      this.#child!.send(pending.message);
    } catch {
      // The channel closed under us: the exit that follows answers this call with the others.
    }
  }

  #onExit(child: ServiceChild | undefined, code: number | null, reason?: string): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    const why = reason ?? `exit code ${code ?? 'none (killed by a signal)'}`;
    const inFlight = [...this.#inFlight.values()];
    this.#inFlight.clear();
    if (this.#state === 'stopped') {
      this.#failAll(inFlight, 'the services were stopped');
      return this.#stopped?.();
    }
    this.#failAll(inFlight, `the services process stopped (${why}) while answering`);
    if (Date.now() - this.#startedAt >= this.#options.stableAfterMs) this.#crashes = 0;
    const delay = this.#options.restartDelaysMs[this.#crashes++];
    if (delay === undefined) {
      this.#setState('failed', `the services process keeps stopping (${why}); restart the app`);
      return this.#failAll(this.#waiting.splice(0), 'the services process keeps stopping');
    }
    this.#setState('restarting', `the services process stopped (${why}); restarting`);
    this.#restartTimer = setTimeout(() => this.#launch('restarting'), delay);
  }

  #failAll(calls: PendingCall[], why: string): void {
    for (const { message, resolve } of calls) resolve(failure('unavailable', `${why}: ${message.method}`));
  }

  #setState(state: ServicesState, detail?: string): void {
    this.#state = state;
    this.#emit('app.servicesState', { state, ...(detail && { detail }) });
  }

  #emit(event: EventName, payload: unknown): void {
    for (const listener of this.#listeners) listener(event, payload);
  }
}

async function refuseNodeKeys(): Promise<never> {
  throw new Error('this process keeps no sealed node keys: the services keep them in key files');
}
