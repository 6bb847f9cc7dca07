// Runs anywhere in Node: fetches every object of a message's tree once, verifying ids, headers and the byte ceiling.
import { WireError } from '../errors.js';
import type { ObjectTree } from '../proto/record-types.js';
import { OBJECT_ID_PATTERN, parseObject, type ParsedObject } from './object-bytes.js';

/** Returns an object's bytes (the transport's PullObject, retried until available). */
export type FetchObject = (objectId: string) => Promise<Uint8Array> | Uint8Array;

/** Message > RecordDict > ArrayRecord > Array > ArrayChunk is five levels; a deeper tree is not a message. */
const MAX_TREE_DEPTH = 5;

/**
 * Every object of `tree`, fetched once per id (children first, `concurrency` at a time) and checked on arrival:
 * its bytes hash to its id, its header parses, its header's children are the tree's children, and the bytes
 * fetched so far stay within `maxBytes`.
 */
export async function fetchTree(tree: ObjectTree, fetch: FetchObject, maxBytes: number, concurrency: number): Promise<Map<string, ParsedObject>> {
  const childrenById = new Map<string, string[]>();
  collect(tree, childrenById, 1);
  const objects = new Map<string, ParsedObject>();
  let fetched = 0;
  await forEachLimited([...childrenById.keys()], concurrency, async (id) => {
    const bytes = await fetch(id);
    fetched += bytes.length;
    if (fetched > maxBytes) throw new WireError(`object ${id}: the message's objects exceed the ceiling of ${maxBytes} bytes`);
    const object = parseObject(id, bytes);
    const expected = childrenById.get(id)!;
    if (!sameIds(object.childIds, expected)) {
      throw new WireError(`object ${id}: its header lists children [${object.childIds.join(', ')}] but the object tree gives [${expected.join(', ')}]`);
    }
    objects.set(id, object);
  });
  return objects;
}

/** Post-order ids with their children as the tree gives them; one id met twice must have the same children. */
function collect(tree: ObjectTree, childrenById: Map<string, string[]>, depth: number): void {
  if (!OBJECT_ID_PATTERN.test(tree.objectId)) throw new WireError(`object tree: ${JSON.stringify(tree.objectId.slice(0, 80))} is not an object id`);
  if (depth > MAX_TREE_DEPTH) throw new WireError(`object tree: ${tree.objectId} lies deeper than ${MAX_TREE_DEPTH} levels`);
  for (const child of tree.children) collect(child, childrenById, depth + 1);
  const childIds = tree.children.map((child) => child.objectId);
  const known = childrenById.get(tree.objectId);
  if (known && !sameIds(known, childIds)) throw new WireError(`object tree: ${tree.objectId} appears twice with different children`);
  childrenById.set(tree.objectId, childIds);
}

/** The same set of ids: Flower's stores may list a node's children in another order than its header. */
function sameIds(a: readonly string[], b: readonly string[]): boolean {
  const setA = new Set(a);
  const setB = new Set(b);
  return setA.size === setB.size && [...setA].every((id) => setB.has(id));
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
