// Runs in the services process (plain Node): the node keys the desktop app's main process seals, asked for over the parent port.
import { z } from 'zod';
import { KEY_FILES } from './node-key-storage.js';
import type { NodeKeyStorage } from './node-key-storage.js';
import { NodeKeyReplySchema } from './port-protocol.js';
import type { NodeKeyRequest, NodeKeyStorageOption } from './port-protocol.js';
import type { ParentPort } from './serve-port.js';

/** Node keys kept sealed by another process, each named by the absolute key_file path it stands in for. */
export interface NodeKeyVault {
  /** The key's PEM, or undefined when none is sealed under that name. */
  load(keyFile: string): Promise<string | undefined>;
  save(keyFile: string, pem: string): Promise<void>;
  delete(keyFile: string): Promise<void>;
}

/** What the parent said at start, made real: sealed keys are the parent's, asked for over the port when needed (a join, a look at the fingerprint). */
export function nodeKeyStorageOver(port: ParentPort, option: NodeKeyStorageOption = KEY_FILES): NodeKeyStorage {
  return option.kind === 'keychain' ? { kind: 'keychain', vault: new PortNodeKeyVault(port) } : option;
}

interface Waiting {
  resolve: (value: string | null) => void;
  reject: (error: Error) => void;
}

/**
 * A request waits for its answer however long it takes: unsealing may wait on the operator (macOS asks whether to
 * allow keychain access). The parent answers every request, if only with a refusal.
 */
export class PortNodeKeyVault implements NodeKeyVault {
  readonly #port: ParentPort;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;

  constructor(port: ParentPort) {
    this.#port = port;
    port.onMessage((message) => this.#receive(message));
  }

  load = async (keyFile: string): Promise<string | undefined> => (await this.#ask({ op: 'load', keyFile })) ?? undefined;

  save = async (keyFile: string, pem: string): Promise<void> => void (await this.#ask({ op: 'save', keyFile, pem }));

  delete = async (keyFile: string): Promise<void> => void (await this.#ask({ op: 'delete', keyFile }));

  #ask(request: NodeKeyRequest): Promise<string | null> {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#port.post({ kind: 'nodeKey', id, request });
    });
  }

  #receive(message: unknown): void {
    if ((message as { kind?: unknown } | null)?.kind !== 'nodeKeyReply') return;
    const id = (message as { id?: unknown }).id;
    const waiting = typeof id === 'number' ? this.#waiting.get(id) : undefined;
    if (!waiting) return;
    this.#waiting.delete(id as number);
    const reply = NodeKeyReplySchema.safeParse(message);
    if (!reply.success)
      return waiting.reject(new Error(`the app's answer about the node key is malformed: ${z.prettifyError(reply.error)}`));
    const { result } = reply.data;
    if (result.ok) waiting.resolve(result.value);
    else waiting.reject(new Error(result.error.message));
  }
}
