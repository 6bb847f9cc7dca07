// Runs anywhere in Node: strict conversion between our TypeScript shapes and protobufjs's, driven by the schema.
import protobuf from 'protobufjs';
import { WireError, describeValue } from '../errors.js';

type Plain = { [key: string]: unknown };
type Bits = { low: number; high: number };

const INT64 = { min: -(1n << 63n), max: (1n << 63n) - 1n };
const UINT64 = { min: 0n, max: (1n << 64n) - 1n };
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const UINT32 = { min: 0, max: 2 ** 32 - 1 };
const UNSIGNED_64 = new Set(['uint64', 'fixed64']);
const SIGNED_64 = new Set(['int64', 'sint64', 'sfixed64']);

/**
 * Our value -> the object protobufjs encodes. Refuses keys that are not fields, values of the wrong JS type,
 * integers out of range, and any oneof without exactly one member (every oneof in our schema needs a value).
 */
export function toWire(type: protobuf.Type, value: unknown, path: string): Plain {
  if (!isPlainObject(value)) throw new WireError(`${path}: expected a ${type.name} object, got ${describeValue(value)}`);
  const wire: Plain = {};
  for (const [key, fieldValue] of Object.entries(value)) {
    if (fieldValue === undefined) continue;
    if (!Object.hasOwn(type.fields, key)) throw new WireError(`${path}.${key}: ${type.name} has no such field`);
    wire[key] = fieldToWire(type.fields[key]!, fieldValue, `${path}.${key}`);
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((field) => Object.hasOwn(wire, field.name));
    if (set.length !== 1)
      throw new WireError(
        `${path}: ${type.name} needs exactly one of ${oneof.fieldsArray.map((f) => f.name).join(', ')}; got ${set.length}`,
      );
  }
  return wire;
}

/** A decoded protobufjs message -> our shape: proto3 defaults filled in, 64-bit integers as bigint, maps as Map. */
export function fromWire(type: protobuf.Type, message: Plain, path: string): Plain {
  const out: Plain = {};
  for (const field of type.fieldsArray) {
    const raw = Object.hasOwn(message, field.name) ? message[field.name] : undefined;
    const at = `${path}.${field.name}`;
    if (field.map)
      out[field.name] = new Map(Object.entries((raw ?? {}) as Plain).map(([key, item]) => [key, valueFromWire(field, item, at)]));
    else if (field.repeated)
      out[field.name] = ((raw ?? []) as unknown[]).map((item, index) => valueFromWire(field, item, `${at}[${index}]`));
    else if (raw != null) out[field.name] = valueFromWire(field, raw, at);
    else if (!field.partOf && !(field.resolvedType instanceof protobuf.Type)) out[field.name] = scalarDefault(field.type);
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.fieldsArray.filter((field) => Object.hasOwn(out, field.name)).length;
    if (set !== 1) throw new WireError(`${path}: ${type.name}.${oneof.name} has ${set} values; exactly one is expected`);
  }
  return out;
}

function fieldToWire(field: protobuf.Field, value: unknown, path: string): unknown {
  if (field.map) {
    if (!(value instanceof Map)) throw new WireError(`${path}: expected a Map, got ${describeValue(value)}`);
    const wire: Plain = Object.create(null) as Plain;
    for (const [key, item] of value) {
      if (typeof key !== 'string') throw new WireError(`${path}: map keys must be strings, got ${describeValue(key)}`);
      wire[key] = valueToWire(field, item, `${path}[${JSON.stringify(key)}]`);
    }
    return wire;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new WireError(`${path}: expected an array, got ${describeValue(value)}`);
    return value.map((item, index) => valueToWire(field, item, `${path}[${index}]`));
  }
  return valueToWire(field, value, path);
}

function valueToWire(field: protobuf.Field, value: unknown, path: string): unknown {
  return field.resolvedType instanceof protobuf.Type ? toWire(field.resolvedType, value, path) : scalarToWire(field.type, value, path);
}

function valueFromWire(field: protobuf.Field, value: unknown, path: string): unknown {
  if (field.resolvedType instanceof protobuf.Type) return fromWire(field.resolvedType, value as Plain, path);
  if (UNSIGNED_64.has(field.type) || SIGNED_64.has(field.type)) return bitsToBigint(value, UNSIGNED_64.has(field.type));
  // protobufjs hands out Buffer views into the whole response: expose them as plain Uint8Array views, no copy.
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

function scalarToWire(type: string, value: unknown, path: string): unknown {
  const fail = (expected: string) => new WireError(`${path}: expected ${expected} (${type}), got ${describeValue(value)}`);
  switch (type) {
    case 'double':
    case 'float':
      if (typeof value !== 'number') throw fail('a number');
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw fail('a boolean');
      return value;
    case 'string':
      if (typeof value !== 'string') throw fail('a string');
      return value;
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw fail('a Uint8Array');
      return value;
  }
  if (SIGNED_64.has(type) || UNSIGNED_64.has(type)) {
    const range = UNSIGNED_64.has(type) ? UINT64 : INT64;
    if (typeof value !== 'bigint' || value < range.min || value > range.max) throw fail(`a bigint in ${range.min}..${range.max}`);
    return bigintToBits(value);
  }
  const range = type.startsWith('u') || type === 'fixed32' ? UINT32 : INT32;
  if (!Number.isInteger(value) || (value as number) < range.min || (value as number) > range.max)
    throw fail(`an integer in ${range.min}..${range.max}`);
  return value;
}

/** protobufjs's writers take any {low, high} object as a 64-bit value; no Long instance is needed. */
function bigintToBits(value: bigint): Bits {
  return { low: Number(BigInt.asIntN(32, value)), high: Number(BigInt.asIntN(32, value >> 32n)) };
}

function bitsToBigint(value: unknown, unsigned: boolean): bigint {
  if (typeof value === 'number') return BigInt(value);
  const { low, high } = value as Bits;
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

function scalarDefault(type: string): unknown {
  if (SIGNED_64.has(type) || UNSIGNED_64.has(type)) return 0n;
  if (type === 'bool') return false;
  if (type === 'string') return '';
  if (type === 'bytes') return new Uint8Array(0);
  return 0;
}

function isPlainObject(value: unknown): value is Plain {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
