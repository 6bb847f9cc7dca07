// Runs anywhere in Node: WireError, the one error the wire layer throws, naming the object, array, record key or field at fault.

/**
 * Bytes or values that do not fit the Fleet protocol. The message names what is at fault (an object id, an array
 * name, a record key, a protobuf field path), so a party can log it, refuse the message and stay up.
 */
export class WireError extends Error {
  override readonly name = 'WireError';
}

/** A short description of a value for error messages: its type and, for primitives, the value. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}

/** Runs `work`, prefixing any WireError it throws with `what` (an array's name, an object id) so it says where. */
export function withContext<T>(what: string | undefined, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (what === undefined || !(error instanceof WireError)) throw error;
    throw new WireError(`${what}: ${error.message}`, { cause: error });
  }
}
