// Runs in the aggregator (plain Node): objects by id, preregistered by tree, verified on arrival, freed by reference count.
import { FleetRpcError } from '../transport/fleet-handler.js';
import { WireError } from '../wire/errors.js';
import { OBJECT_ID_PATTERN, objectId, parseObject } from '../wire/objects/object-bytes.js';
import type { ObjectTree } from '../wire/proto/record-types.js';

interface Entry {
  /** Empty until the object arrives. */
  content: Uint8Array;
  available: boolean;
  childIds: string[];
  /** How many registered parents point at it; a message object has none. */
  parents: number;
}

/** Why PushObject stored nothing: Flower answers `stored: false` in both cases and logs it. */
export type PutOutcome = 'stored' | 'not-preregistered' | 'id-mismatch';

/**
 * Mirrors Flower's in-memory ObjectStore: a tree is preregistered before its objects are pushed, an object is
 * accepted only under the id its bytes hash to, and deleting a message frees every descendant no other parent
 * holds (objects shared by several messages, such as the global model sent to every node, stay until the last goes).
 */
export class ObjectStore {
  private readonly entries = new Map<string, Entry>();
  private availableBytes = 0;
  /** Called with the id of each object that arrives, so whoever waits for a reply learns without polling. */
  onStored: (objectId: string) => void = () => {};

  /** Registers every object of the tree not yet known, children first; returns those whose bytes are still missing. */
  preregister(tree: ObjectTree): string[] {
    const missing: string[] = [];
    for (const node of postOrder(tree)) {
      if (!OBJECT_ID_PATTERN.test(node.objectId))
        throw new FleetRpcError('INVALID_ARGUMENT', `Invalid object ID format: ${JSON.stringify(node.objectId)}`);
      const known = this.entries.get(node.objectId);
      if (known) {
        if (!known.available) missing.push(node.objectId);
        continue;
      }
      const childIds = node.children.map((child) => child.objectId);
      this.entries.set(node.objectId, { content: new Uint8Array(0), available: false, childIds, parents: 0 });
      for (const childId of childIds) this.entries.get(childId)!.parents += 1;
      missing.push(node.objectId);
    }
    return missing;
  }

  /** Refuses bytes that are not an object (FAILED_PRECONDITION, as Flower); a wrong id or an unknown one stores nothing. */
  put(id: string, content: Uint8Array): PutOutcome {
    try {
      parseObject(id, content);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      // parseObject hashes first; hashing again only on failure keeps the common path to one pass over the bytes.
      if (objectId(content) !== id) return 'id-mismatch';
      throw new FleetRpcError('FAILED_PRECONDITION', `Object with ID '${id}' has an unexpected structure: ${error.message}`);
    }
    const entry = this.entries.get(id);
    if (!entry) return 'not-preregistered';
    if (!entry.available) {
      entry.content = content;
      entry.available = true;
      this.availableBytes += content.byteLength;
      this.onStored(id);
    }
    return 'stored';
  }

  /** The bytes; empty while preregistered but not yet pushed; undefined when unknown. */
  get(id: string): Uint8Array | undefined {
    return this.entries.get(id)?.content;
  }

  isAvailable(id: string): boolean {
    return this.entries.get(id)?.available ?? false;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  tree(id: string): ObjectTree {
    const entry = this.entries.get(id);
    if (!entry) throw new FleetRpcError('NOT_FOUND', `Object with ID '${id}' was not pre-registered.`);
    return { objectId: id, children: entry.childIds.map((childId) => this.tree(childId)) };
  }

  /** Deletes the object if no parent holds it, then each child left without parents. Unknown ids are ignored. */
  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.parents > 0) return;
    this.entries.delete(id);
    this.availableBytes -= entry.available ? entry.content.byteLength : 0;
    for (const childId of entry.childIds) {
      const child = this.entries.get(childId);
      if (!child) continue;
      child.parents -= 1;
      this.delete(childId);
    }
  }

  /** For logs and for tests that memory stays flat across rounds. */
  stats(): { objects: number; bytes: number } {
    return { objects: this.entries.size, bytes: this.availableBytes };
  }
}

/** Post-order, as Flower walks a tree: every child is registered before the parent that counts it. */
function* postOrder(tree: ObjectTree): Generator<ObjectTree> {
  for (const child of tree.children) yield* postOrder(child);
  yield tree;
}
