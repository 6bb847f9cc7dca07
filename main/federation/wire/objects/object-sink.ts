// Runs anywhere in Node: collects the objects of one message as they are built, children before parents, each id once.
import type { ObjectTree } from '../proto/record-types.js';
import { buildObject, type ObjectType } from './object-bytes.js';

export class ObjectSink {
  /** Insertion order is post-order (a child before its parents), the order Flower pushes in. */
  readonly objects = new Map<string, Uint8Array>();

  /**
   * Builds one object over its children and returns its tree. Children are de-duplicated in first-seen order,
   * in the header and in the tree alike, as Flower's `children` dicts (keyed by id) do.
   */
  add(type: ObjectType, children: readonly ObjectTree[], body: Uint8Array): ObjectTree {
    const unique = uniqueById(children);
    const { id, bytes } = buildObject(
      type,
      unique.map((child) => child.objectId),
      body,
    );
    if (!this.objects.has(id)) this.objects.set(id, bytes);
    return { objectId: id, children: unique };
  }
}

export function uniqueById(trees: readonly ObjectTree[]): ObjectTree[] {
  const firstSeen = new Map<string, ObjectTree>();
  for (const tree of trees) if (!firstSeen.has(tree.objectId)) firstSeen.set(tree.objectId, tree);
  return [...firstSeen.values()];
}
