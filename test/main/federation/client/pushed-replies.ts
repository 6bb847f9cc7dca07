// Test helper (plain Node): the fake server's side of messages: what it delivered, and the replies pushed back, checked as Flower's SuperLink checks them.
import { replyMismatch, replyProblems } from '../../../../main/federation/server/reply-checks.js';
import { FleetRpcError } from '../../../../main/federation/transport/fleet-handler.js';
import { inflateMessage } from '../../../../main/federation/wire/objects/inflate.js';
import { parseObject } from '../../../../main/federation/wire/objects/object-bytes.js';
import type { MessageProto, ObjectTree } from '../../../../main/federation/wire/proto/record-types.js';
import type { Message } from '../../../../main/federation/wire/records/model.js';

/** A message for a node, deflated as the server stores it. */
export interface Instruction {
  messageId: string;
  proto: MessageProto;
  tree: ObjectTree;
  objects: Map<string, Uint8Array>;
}

/** A reply whose every object arrived, inflated (ids verified) from those objects. */
export interface ReceivedReply {
  message: Message;
  /** The Message as PushMessages carried it (content must be an empty RecordDict). */
  proto: MessageProto;
  /** Object ids the server asked for, in the order the party pushed them. */
  pushed: string[];
}

interface Pending {
  proto: MessageProto;
  tree: ObjectTree;
  stored: Map<string, Uint8Array>;
  needed: string[];
}

interface Waiter {
  resolve: (reply: ReceivedReply) => void;
  reject: (error: Error) => void;
}

export class PushedReplies {
  /** Replies refused as the SuperLink would refuse them, with its reasons. */
  readonly refused: { proto: MessageProto; problems: string[] }[] = [];
  readonly #delivered = new Map<string, Instruction>();
  readonly #pending = new Map<string, Pending>();
  readonly #waiters = new Map<string, Waiter>();

  expect(instruction: Instruction, timeoutMs: number): Promise<ReceivedReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no reply to ${instruction.proto.metadata!.messageType} ${instruction.messageId} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const settle =
        <T>(done: (value: T) => void) =>
        (value: T) => {
          clearTimeout(timer);
          this.#waiters.delete(instruction.messageId);
          done(value);
        };
      this.#waiters.set(instruction.messageId, { resolve: settle(resolve), reject: settle(reject) });
    });
  }

  delivered(instruction: Instruction): void {
    this.#delivered.set(instruction.messageId, instruction);
  }

  /** The newest delivery first: a tampered message shares its untampered objects' ids with honest ones. */
  deliveredObject(objectId: string): Uint8Array | undefined {
    for (const instruction of [...this.#delivered.values()].reverse()) {
      const bytes = instruction.objects.get(objectId);
      if (bytes) return bytes;
    }
    return undefined;
  }

  push(nodeId: bigint, proto: MessageProto, tree: ObjectTree) {
    const metadata = proto.metadata!;
    const instruction = this.#delivered.get(metadata.replyToMessageId);
    const problems = replyProblems(proto, tree.objectId, nodeId, Date.now() / 1000);
    const mismatch = instruction
      ? replyMismatch(metadata, instruction.proto.metadata!)
      : `it answers ${metadata.replyToMessageId}, which was never delivered`;
    if (mismatch) problems.push(mismatch);
    if (proto.content && proto.content.items.length > 0) problems.push('the Message in PushMessages must carry an EMPTY RecordDict');
    if (instruction && metadata.groupId !== instruction.proto.metadata!.groupId) problems.push('group id differs from the instruction');
    if (instruction && metadata.messageType !== instruction.proto.metadata!.messageType)
      problems.push('message type differs from the instruction');
    if (problems.length) {
      this.refused.push({ proto, problems });
      this.#waiters.get(metadata.replyToMessageId)?.reject(new Error(`reply refused: ${problems.join('; ')}`));
      return { results: new Map([['None', 0]]) };
    }
    const needed = [...new Set(postOrder(tree))];
    this.#pending.set(metadata.messageId, { proto, tree, stored: new Map(), needed });
    return { results: new Map([[metadata.messageId, 0]]), objectsToPush: needed };
  }

  store(objectId: string, content: Uint8Array): boolean {
    try {
      parseObject(objectId, content);
    } catch (error) {
      throw new FleetRpcError('INVALID_ARGUMENT', (error as Error).message);
    }
    const entry = [...this.#pending].find(([, pending]) => pending.needed.includes(objectId));
    if (!entry) return false;
    const [messageId, pending] = entry;
    pending.stored.set(objectId, content);
    if (pending.stored.size === pending.needed.length) void this.#complete(messageId, pending);
    return true;
  }

  async #complete(messageId: string, pending: Pending): Promise<void> {
    this.#pending.delete(messageId);
    const waiter = this.#waiters.get(pending.proto.metadata!.replyToMessageId);
    try {
      const message = await inflateMessage(pending.proto, pending.tree, (id) => pending.stored.get(id)!);
      waiter?.resolve({ message, proto: pending.proto, pushed: [...pending.stored.keys()] });
    } catch (error) {
      waiter?.reject(error as Error);
    }
  }
}

function postOrder(tree: ObjectTree): string[] {
  return [...tree.children.flatMap(postOrder), tree.objectId];
}
