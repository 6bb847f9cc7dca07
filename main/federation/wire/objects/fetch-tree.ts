// Runs anywhere in Node: fetches every object of a message's tree once, verifying ids, headers and the byte ceiling.
import { WireError } from '../errors.js';
import { MAX_STRUCTURE_OBJECT_BYTES } from '../limits.js';
import type { ObjectTree } from '../proto/record-types.js';
import { declaredArray } from './array-objects.js';
import { OBJECT_ID_PATTERN, parseObject, type ParsedObject } from './object-bytes.js';
import { parseStringEntries } from './python-json.js';

/** Returns an object's bytes (the transport's PullObject, retried until available). */
export type FetchObject = (objectId: string) => Promise<Uint8Array> | Uint8Array;

/** Message > RecordDict > ArrayRecord > Array > ArrayChunk is five levels; a deeper tree is not a message. */
const MAX_TREE_DEPTH = 5;

export interface TreeLimits {
  /** The objects' bytes together. */
  maxBytes: number;
  /** Distinct objects in the tree. */
  maxObjects: number;
  /** One object that is not an ArrayChunk (default MAX_STRUCTURE_OBJECT_BYTES). */
  maxStructureObjectBytes?: number;
}

/**
 * Every object of `tree`, fetched once per id (`concurrency` at a time) and checked on arrival: its bytes hash to its
 * id, its header parses, its header's children are the tree's children, an object that is not array data is no bigger
 * than structure ever is, and the bytes fetched so far stay within `maxBytes`. A tree with more than `maxObjects`
 * objects is refused before anything is fetched; arrays whose bodies declare more than `maxBytes` together are refused
 * before any of their chunks is, since the objects with children (the structure) are fetched before the leaves.
 */
export async function fetchTree(
  tree: ObjectTree,
  fetch: FetchObject,
  limits: TreeLimits,
  concurrency: number,
): Promise<Map<string, ParsedObject>> {
  const { maxBytes, maxObjects, maxStructureObjectBytes = MAX_STRUCTURE_OBJECT_BYTES } = limits;
  const childrenById = treeObjects(tree, maxObjects);
  const objects = new Map<string, ParsedObject>();
  let fetched = 0;
  const fetchOne = async (id: string) => {
    const bytes = await fetch(id);
    fetched += bytes.length;
    if (fetched > maxBytes) throw new WireError(`object ${id}: the message's objects exceed the ceiling of ${maxBytes} bytes`);
    const object = parseObject(id, bytes);
    if (object.type !== 'ArrayChunk' && bytes.length > maxStructureObjectBytes) {
      throw new WireError(
        `object ${id}: a ${object.type} of ${bytes.length} bytes; only array data (ArrayChunk) is ever over ${maxStructureObjectBytes}`,
      );
    }
    const expected = childrenById.get(id)!;
    if (!sameIds(object.childIds, expected)) {
      throw new WireError(
        `object ${id}: its header lists children [${object.childIds.join(', ')}] but the object tree gives [${expected.join(', ')}]`,
      );
    }
    objects.set(id, object);
  };
  const ids = [...childrenById.keys()];
  await forEachLimited(
    ids.filter((id) => childrenById.get(id)!.length > 0),
    concurrency,
    fetchOne,
  );
  refuseOversizedArrays(objects, maxBytes);
  await forEachLimited(
    ids.filter((id) => childrenById.get(id)!.length === 0),
    concurrency,
    fetchOne,
  );
  return objects;
}

/** Arrays whose bodies declare more bytes than the whole message may hold: refused, naming the largest, before their chunks are pulled. */
function refuseOversizedArrays(structure: ReadonlyMap<string, ParsedObject>, maxBytes: number): void {
  const arrays = [...structure.values()].flatMap((object) => {
    const declared = object.type === 'Array' ? declaredArray(object) : undefined;
    return declared ? [{ id: object.id, ...declared }] : [];
  });
  const total = arrays.reduce((sum, array) => sum + array.bytes, 0);
  if (total <= maxBytes) return;
  const largest = arrays.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  throw new WireError(
    `the message's arrays declare ${total} bytes, more than the ${maxBytes} it may hold (the largest: ${arrayName(structure, largest.id)}, ` +
      `${largest.dtype} [${largest.shape.join(', ')}], ${largest.bytes} bytes); none of their data was pulled`,
  );
}

/** An array's name in the ArrayRecord that lists it, for an operator; its object id where no record names it. */
function arrayName(structure: ReadonlyMap<string, ParsedObject>, arrayId: string): string {
  for (const object of structure.values()) {
    if (object.type !== 'ArrayRecord') continue;
    try {
      const entry = parseStringEntries(new TextDecoder().decode(object.body), 'ArrayRecord').find(([, id]) => id === arrayId);
      if (entry) return `array ${JSON.stringify(entry[0])}`;
    } catch {
      // a record body that does not parse is refused, with its reason, when the message is inflated
    }
  }
  return `array object ${arrayId}`;
}

/**
 * Each object of the tree, by id in post-order, with its children: every id an object id, no deeper than a message
 * goes, one id met twice with the same children, at most `maxObjects` of them.
 */
export function treeObjects(tree: ObjectTree, maxObjects: number): Map<string, string[]> {
  const childrenById = new Map<string, string[]>();
  collect(tree, childrenById, 1, maxObjects);
  return childrenById;
}

function collect(tree: ObjectTree, childrenById: Map<string, string[]>, depth: number, maxObjects: number): void {
  if (!OBJECT_ID_PATTERN.test(tree.objectId))
    throw new WireError(`object tree: ${JSON.stringify(tree.objectId.slice(0, 80))} is not an object id`);
  if (depth > MAX_TREE_DEPTH) throw new WireError(`object tree: ${tree.objectId} lies deeper than ${MAX_TREE_DEPTH} levels`);
  for (const child of tree.children) collect(child, childrenById, depth + 1, maxObjects);
  const childIds = tree.children.map((child) => child.objectId);
  const known = childrenById.get(tree.objectId);
  if (known && !sameIds(known, childIds)) throw new WireError(`object tree: ${tree.objectId} appears twice with different children`);
  childrenById.set(tree.objectId, childIds);
  if (childrenById.size > maxObjects) throw new WireError(`object tree: more than ${maxObjects} objects, more than a message can hold`);
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
