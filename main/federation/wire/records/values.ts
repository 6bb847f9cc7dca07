// Runs anywhere: metric and config values to and from their protobuf oneofs, with Flower's choice of field for each.
import { WireError, describeValue } from '../errors.js';
import type { ConfigRecordValueProto, MetricRecordValueProto } from '../proto/record-types.js';
import type { ConfigValue, MetricValue } from './model.js';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

type SingleValue = number | bigint | boolean | string | Uint8Array;
type Kind = 'double' | 'int' | 'bool' | 'string' | 'bytes';
const LIST_FIELD = { double: 'doubleList', bool: 'boolList', string: 'stringList', bytes: 'bytesList' } as const;

/**
 * Like Flower: a number is a double; a bigint is sint64, or uint64 past int64's range; a list takes its first
 * item's type; an empty list is a double list (float is the first type Flower tries for metrics).
 */
export function metricValueToProto(value: MetricValue, key: string): MetricRecordValueProto {
  const proto = valueToProto(value, key, { doubleList: { vals: [] } });
  const kind = Object.keys(proto)[0]!;
  if (!['double', 'sint64', 'uint64', 'doubleList', 'sintList', 'uintList'].includes(kind)) {
    throw new WireError(
      `metric ${JSON.stringify(key)}: a metric is a number, a bigint or a list of one of them, got ${describeValue(value)}`,
    );
  }
  return proto as MetricRecordValueProto;
}

/** Flower sends an empty config list as a bool list (bool is the first type it tries). */
export function configValueToProto(value: ConfigValue, key: string): ConfigRecordValueProto {
  return valueToProto(value, key, { boolList: { vals: [] } });
}

/** The decoded oneof's one value; lists arrive wrapped as {vals}. */
export function valueFromProto(proto: ConfigRecordValueProto): ConfigValue {
  const value = Object.values(proto)[0] as ConfigValue | { vals: ConfigValue };
  return isWrappedList(value) ? value.vals : value;
}

function isWrappedList(value: ConfigValue | { vals: ConfigValue }): value is { vals: ConfigValue } {
  return typeof value === 'object' && 'vals' in value;
}

function valueToProto(value: ConfigValue, key: string, emptyList: ConfigRecordValueProto): ConfigRecordValueProto {
  const where = `record key ${JSON.stringify(key)}`;
  if (!Array.isArray(value)) {
    const kind = kindOf(value, where);
    if (kind !== 'int') return { [kind]: value } as ConfigRecordValueProto;
    return intField(value as bigint, where) === 'sint' ? { sint64: value as bigint } : { uint64: value as bigint };
  }
  if (value.length === 0) return emptyList;
  const kind = kindOf(value[0] as SingleValue, where);
  const stray = value.findIndex((item) => kindOf(item as SingleValue, where) !== kind);
  if (stray >= 0)
    throw new WireError(
      `${where}: list items must share one type; item ${stray} is ${describeValue(value[stray])}, item 0 is ${describeValue(value[0])}`,
    );
  if (kind !== 'int') return { [LIST_FIELD[kind]]: { vals: value } } as ConfigRecordValueProto;
  const ints = value as bigint[];
  return ints.some((item) => intField(item, where) === 'uint')
    ? { uintList: { vals: checkUnsigned(ints, where) } }
    : { sintList: { vals: ints } };
}

function kindOf(value: SingleValue, where: string): Kind {
  if (typeof value === 'number') return 'double';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'string';
  if (value instanceof Uint8Array) return 'bytes';
  throw new WireError(`${where}: ${describeValue(value)} is not a record value`);
}

function intField(value: bigint, where: string): 'sint' | 'uint' {
  if (value < INT64_MIN || value > UINT64_MAX) throw new WireError(`${where}: ${value} does not fit in 64 bits`);
  return value > INT64_MAX ? 'uint' : 'sint';
}

function checkUnsigned(values: bigint[], where: string): bigint[] {
  if (values.some((item) => item < 0n))
    throw new WireError(`${where}: a list mixing negative integers and integers above 2^63 - 1 cannot travel`);
  return values;
}
