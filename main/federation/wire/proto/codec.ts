// Runs anywhere in Node: a typed encoder/decoder for one flwr.proto message type.
import { WireError } from '../errors.js';
import { fromWire, toWire } from './convert.js';
import { messageType } from './root.js';

/** What an encoder accepts: every field may be left out (proto3 default), recursively. */
export type WireInput<T> = T extends Uint8Array | bigint | number | string | boolean
  ? T
  : T extends Map<infer K, infer V>
    ? Map<K, WireInput<V>>
    : T extends readonly (infer E)[]
      ? readonly WireInput<E>[]
      : { [K in keyof T]?: WireInput<T[K]> };

export interface Codec<T> {
  /** The protobuf message name, e.g. "PullMessagesRequest". */
  readonly typeName: string;
  /** Refuses unknown keys, wrong JS types and out-of-range integers with a WireError naming the field. */
  encode(value: WireInput<T>): Uint8Array;
  /** Unknown fields are skipped (a newer peer may add some); malformed bytes and empty oneofs are a WireError. */
  decode(bytes: Uint8Array): T;
}

export function codec<T>(typeName: string): Codec<T> {
  const type = messageType(typeName);
  return {
    typeName,
    encode: (value) => type.encode(toWire(type, value, typeName)).finish(),
    decode(bytes) {
      let message: object;
      try {
        message = type.decode(bytes);
      } catch (error) {
        throw new WireError(`${typeName}: cannot decode ${bytes.byteLength} bytes: ${(error as Error).message}`, { cause: error });
      }
      return fromWire(type, message as { [key: string]: unknown }, typeName) as T;
    },
  };
}
