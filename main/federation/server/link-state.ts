// Runs in the aggregator (plain Node): the run and its messages as Flower's link state keeps them: instructions for nodes, their replies.
import { randomBytes } from 'node:crypto';
import { FleetRpcError } from '../transport/fleet-handler.js';
import type { MessageProto, Metadata, ObjectTree } from '../wire/proto/record-types.js';
import type { NodeRegistry } from './node-registry.js';
import type { ObjectStore } from './object-store.js';
import { replyMismatch, replyProblems } from './reply-checks.js';

export type RunStatus = 'running' | 'finished';
/** Flower's SubStatus of a finished run. */
export type FinishedAs = 'completed' | 'failed' | 'stopped';

interface Reply {
  metadata: Metadata;
  /** Objects of the reply's tree whose bytes have not arrived. */
  missing: Set<string>;
}

interface Instruction {
  message: MessageProto & { metadata: Metadata };
  delivered: boolean;
  reply?: Reply;
}

/** What PushMessages answers: `stored` is false for a reply nobody waits for any more (late, or a second one). */
export type ReplyReceipt = { stored: true; messageId: string; objectsToPush: string[] } | { stored: false; why: string };

export class LinkState {
  readonly runId: bigint = randomRunId();
  readonly createdAt = new Date();
  status: RunStatus = 'running';
  finished: { as: FinishedAs; at: Date } | null = null;
  /** Nodes that asked for the run (GetRun) since it finished: they know it is over. */
  readonly toldFinished = new Set<bigint>();
  private readonly instructions = new Map<string, Instruction>();
  /** Object id -> instructions whose reply still waits for it. */
  private readonly waitingOn = new Map<string, Set<string>>();
  /** Called with an instruction's id once its reply and every object of the reply are stored. */
  onReplyComplete: (instructionId: string) => void = () => {};

  constructor(
    readonly registry: NodeRegistry,
    readonly store: ObjectStore,
    private readonly now: () => number = Date.now,
  ) {
    store.onStored = (objectId) => this.objectArrived(objectId);
  }

  /** Stores an instruction whose objects the aggregator made itself; `metadata.messageId` is the tree's root. */
  addInstruction(metadata: Metadata, tree: ObjectTree, objects: ReadonlyMap<string, Uint8Array>): void {
    this.store.preregister(tree);
    for (const [id, bytes] of objects)
      if (this.store.put(id, bytes) !== 'stored') throw new Error(`instruction object ${id} was refused by the store`);
    this.instructions.set(metadata.messageId, { message: { metadata, content: { items: [] } }, delivered: false });
  }

  /** The node's next undelivered, unexpired instruction with its tree (Flower's PullMessages: at most one). */
  nextInstructionFor(nodeId: bigint): { message: MessageProto; tree: ObjectTree } | undefined {
    for (const [id, instruction] of this.instructions) {
      const { metadata } = instruction.message;
      if (metadata.dstNodeId !== nodeId || instruction.delivered || this.expired(metadata)) continue;
      instruction.delivered = true;
      // Its objects can only be gone if they were confirmed before delivery: Flower then drops the message too.
      if (this.store.has(id)) return { message: instruction.message, tree: this.store.tree(id) };
    }
    return undefined;
  }

  /**
   * The node has every object of the message, so what no other message shares can go. Only the node the message
   * was delivered to can confirm it (Flower deletes whatever id it is given; a stray confirm could free the model
   * other nodes are still fetching).
   */
  confirmReceived(messageId: string, nodeId: bigint): void {
    const instruction = this.instructions.get(messageId);
    if (instruction?.delivered && instruction.message.metadata.dstNodeId === nodeId) this.store.delete(messageId);
  }

  storeReply(message: MessageProto, tree: ObjectTree | undefined, callerNodeId: bigint): ReplyReceipt {
    const problems = replyProblems(message, tree?.objectId, callerNodeId, this.now() / 1000);
    if (problems.length) throw new FleetRpcError('INVALID_ARGUMENT', `reply refused: ${problems.join('; ')}`);
    const metadata = message.metadata!;
    const instruction = this.instructions.get(metadata.replyToMessageId);
    if (!instruction || this.expired(instruction.message.metadata))
      return { stored: false, why: `no open message ${metadata.replyToMessageId} (its round is over, or it never existed)` };
    const mismatch = replyMismatch(metadata, instruction.message.metadata);
    if (mismatch) throw new FleetRpcError('INVALID_ARGUMENT', `reply to ${metadata.replyToMessageId} refused: ${mismatch}`);
    if (instruction.reply && instruction.reply.metadata.messageId !== metadata.messageId) {
      return { stored: false, why: `message ${metadata.replyToMessageId} already has a reply (${instruction.reply.metadata.messageId})` };
    }
    // A repeated push of the same reply (its answer was lost) just learns again what is still missing.
    const objectsToPush = this.store.preregister(tree!);
    instruction.reply = { metadata, missing: new Set(objectsToPush) };
    for (const id of objectsToPush) this.waitingOn.set(id, (this.waitingOn.get(id) ?? new Set()).add(metadata.replyToMessageId));
    if (objectsToPush.length === 0) this.onReplyComplete(metadata.replyToMessageId);
    return { stored: true, messageId: metadata.messageId, objectsToPush };
  }

  /** The reply's metadata once it and all its objects are stored. */
  completeReply(instructionId: string): Metadata | undefined {
    const reply = this.instructions.get(instructionId)?.reply;
    return reply && reply.missing.size === 0 ? reply.metadata : undefined;
  }

  /** Forgets instructions and their replies, freeing every object no other message holds. */
  forget(instructionIds: Iterable<string>): void {
    for (const id of instructionIds) {
      const instruction = this.instructions.get(id);
      if (!instruction) continue;
      this.instructions.delete(id);
      this.store.delete(id);
      if (!instruction.reply) continue;
      for (const objectId of instruction.reply.missing) this.stopWaiting(objectId, id);
      this.store.delete(instruction.reply.metadata.messageId);
    }
  }

  /** The rounds are over: calls that need the run are refused from now on, and GetRun says how it ended. */
  finish(as: FinishedAs): void {
    this.status = 'finished';
    this.finished ??= { as, at: new Date(this.now()) };
  }

  /** Refuses calls that need the run (Flower's check_abort): an unknown run, or one that has finished. */
  checkRun(runId: bigint): void {
    if (runId !== this.runId)
      throw new FleetRpcError('PERMISSION_DENIED', `Run ID not found: ${runId} (this aggregator runs ${this.runId})`);
    if (this.status === 'finished') throw new FleetRpcError('PERMISSION_DENIED', 'Run is finished.');
  }

  private objectArrived(objectId: string): void {
    const waiting = this.waitingOn.get(objectId);
    if (!waiting) return;
    this.waitingOn.delete(objectId);
    for (const instructionId of waiting) {
      const reply = this.instructions.get(instructionId)?.reply;
      if (!reply?.missing.delete(objectId)) continue;
      if (reply.missing.size === 0) this.onReplyComplete(instructionId);
    }
  }

  private stopWaiting(objectId: string, instructionId: string): void {
    const waiting = this.waitingOn.get(objectId);
    waiting?.delete(instructionId);
    if (waiting?.size === 0) this.waitingOn.delete(objectId);
  }

  private expired(metadata: Metadata): boolean {
    return metadata.createdAt + metadata.ttl <= this.now() / 1000;
  }
}

/** Eight random bytes, as Flower draws run ids; 0 would read as "no run" on the wire. */
function randomRunId(): bigint {
  for (;;) {
    const id = randomBytes(8).readBigUInt64LE();
    if (id !== 0n) return id;
  }
}
