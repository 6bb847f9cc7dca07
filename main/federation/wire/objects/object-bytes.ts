// Runs anywhere in Node: the bytes and id of one inflatable object ("<Type> <child ids> <body length>", 0x00, body).
import { createHash } from 'node:crypto';
import { WireError } from '../errors.js';

/** The object types Flower 1.29 knows (its inflatable class registry). */
export const OBJECT_TYPES = ['Message', 'RecordDict', 'ArrayRecord', 'Array', 'ArrayChunk', 'ConfigRecord', 'MetricRecord'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** Object ids are lowercase hex SHA-256, as Python's hexdigest() writes them. */
export const OBJECT_ID_PATTERN = /^[0-9a-f]{64}$/;

export interface WireObject {
  id: string;
  bytes: Uint8Array;
}

export interface ParsedObject {
  id: string;
  type: ObjectType;
  /** As the header lists them: unique, in first-seen order. */
  childIds: string[];
  /** A view into the object's bytes. */
  body: Uint8Array;
}

export function objectId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Header, one 0x00, body; the id is the SHA-256 of all of it. `childIds` must already be unique. */
export function buildObject(type: ObjectType, childIds: readonly string[], body: Uint8Array): WireObject {
  const header = new TextEncoder().encode(`${type} ${childIds.join(',')} ${body.length}`);
  const bytes = new Uint8Array(header.length + 1 + body.length);
  bytes.set(header);
  bytes.set(body, header.length + 1);
  return { id: objectId(bytes), bytes };
}

/** Verifies that `bytes` hash to `id` and that the header is well formed, then splits it. */
export function parseObject(id: string, bytes: Uint8Array): ParsedObject {
  const actual = objectId(bytes);
  if (actual !== id) throw new WireError(`object ${id}: its ${bytes.length} bytes hash to ${actual}; refused`);
  const fail = (problem: string) => new WireError(`object ${id}: ${problem}`);
  const divider = bytes.indexOf(0);
  if (divider < 0) throw fail('no 0x00 between header and body');
  let header: string;
  try {
    header = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, divider));
  } catch {
    throw fail('header is not UTF-8');
  }
  const parts = header.split(' ');
  if (parts.length !== 3) throw fail(`header ${JSON.stringify(header.slice(0, 80))} is not "<type> <child ids> <body length>"`);
  const [type, children, length] = parts as [string, string, string];
  if (!(OBJECT_TYPES as readonly string[]).includes(type)) throw fail(`unknown object type ${JSON.stringify(type.slice(0, 40))}`);
  const childIds = children === '' ? [] : children.split(',');
  const badChild = childIds.find((child) => !OBJECT_ID_PATTERN.test(child));
  if (badChild !== undefined) throw fail(`child id ${JSON.stringify(badChild.slice(0, 80))} is not a SHA-256 hex id`);
  const body = bytes.subarray(divider + 1);
  if (!/^(0|[1-9]\d*)$/.test(length) || Number(length) !== body.length)
    throw fail(`header says the body has ${length} bytes, it has ${body.length}`);
  return { id, type: type as ObjectType, childIds, body };
}
