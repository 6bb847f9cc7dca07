// Runs anywhere (the contract): JSON for the console's WebSocket that keeps byte arrays (preview PNGs) as bytes.

/** The tag of an encoded byte array; a NUL in the key keeps it apart from any key a YAML config could plausibly hold. */
const BYTES_TAG = '\u0000bytes';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CODE_OF = new Map([...ALPHABET].map((c, i) => [c, i]));

export function encodeWire(value: unknown): string {
  // `this[key]` is the value before toJSON: a Node Buffer must be caught before it becomes {type, data}.
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, converted: unknown) {
    const original = this[key];
    return original instanceof Uint8Array ? { [BYTES_TAG]: toBase64(original) } : converted;
  });
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, BYTES_TAG)) return value;
    const encoded = (value as Record<string, unknown>)[BYTES_TAG];
    return typeof encoded === 'string' ? fromBase64(encoded) : value;
  });
}

// Written out rather than borrowed: Buffer is Node-only, btoa works on strings, and Uint8Array.toBase64 is too new.
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
    out += b === undefined ? '==' : ALPHABET[(n >> 6) & 63]! + (c === undefined ? '=' : ALPHABET[n & 63]!);
  }
  return out;
}

export function fromBase64(text: string): Uint8Array {
  const digits = text.replace(/=+$/, '');
  const bytes = new Uint8Array(Math.floor((digits.length * 3) / 4));
  let n = 0,
    bits = 0,
    at = 0;
  for (const c of digits) {
    const code = CODE_OF.get(c);
    if (code === undefined) throw new SyntaxError(`not base64: ${JSON.stringify(c)}`);
    n = (n << 6) | code;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[at++] = (n >> bits) & 0xff;
    }
  }
  return bytes;
}
