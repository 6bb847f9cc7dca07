// Runs in the party (plain Node): the message being served, noted on disk until its reply is sent,
// so a party that stopped mid-task can answer it once it is back.
import { promises as fsp } from 'node:fs';
import type { Metadata } from '../wire/proto/record-types.js';

/** A message this node received and had not answered when the party stopped. */
export interface InHand {
  nodeId: bigint;
  metadata: Metadata;
}

const BIGINT_FIELDS = ['runId', 'srcNodeId', 'dstNodeId'] as const;

/**
 * A SuperLink hands a message out once. If its node stops before replying and is back (same key, same node) before
 * the server has noticed, nobody ever answers it and the round waits for its timeout; the note lets the party answer.
 */
export class InHandFile {
  /** `onError` hears of a note that could not be written or removed; serving goes on without it. */
  constructor(
    readonly file: string,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  async save(nodeId: bigint, metadata: Metadata): Promise<void> {
    const text = JSON.stringify({ nodeId, metadata }, (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    await fsp.writeFile(this.file, text, { encoding: 'utf8', mode: 0o600 }).catch((error: Error) => this.#report('write', error));
  }

  async clear(): Promise<void> {
    await fsp.rm(this.file, { force: true }).catch((error: Error) => this.#report('remove', error));
  }

  /** The note, or null when there is none or it is unreadable (a crash mid-write leaves nothing worth answering). */
  async read(): Promise<InHand | null> {
    try {
      const { nodeId, metadata } = JSON.parse(await fsp.readFile(this.file, 'utf8')) as {
        nodeId: string;
        metadata: Record<string, unknown>;
      };
      for (const field of BIGINT_FIELDS) metadata[field] = BigInt(metadata[field] as string);
      return { nodeId: BigInt(nodeId), metadata: metadata as unknown as Metadata };
    } catch {
      return null;
    }
  }

  #report(what: 'write' | 'remove', error: Error): void {
    this.onError(new Error(`cannot ${what} ${this.file} (the note of the message in hand): ${error.message}`, { cause: error }));
  }
}
