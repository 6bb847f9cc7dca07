// Runs anywhere: JSON text as Python's json.dumps writes it, and an order-keeping reader for {"name": "id"} bodies.
import { WireError } from '../errors.js';

export type PythonJson = string | number | readonly PythonJson[] | ReadonlyMap<string, PythonJson> | { readonly [key: string]: PythonJson };

/**
 * json.dumps(value) with Python's defaults: ", " and ": " separators, non-ASCII escaped as \uXXXX. Object ids
 * hash these bytes, so they must match what Flower writes exactly. Numbers must be integers (shapes, indexes).
 */
export function pythonJson(value: PythonJson): string {
  if (typeof value === 'string') return pythonString(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new WireError(`cannot write ${value} as a Python int`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  const entries = value instanceof Map ? [...value] : Object.entries(value);
  return `{${entries.map(([key, item]) => `${pythonString(key)}: ${pythonJson(item as PythonJson)}`).join(', ')}}`;
}

/** JSON.stringify escapes what Python escapes below 0x7f; Python's ensure_ascii also escapes 0x7f and up, per UTF-16 unit. */
function pythonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const JSON_STRING = String.raw`"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"`;
const ENTRY = new RegExp(String.raw`[ \t\n\r]*(${JSON_STRING})[ \t\n\r]*:[ \t\n\r]*(${JSON_STRING})[ \t\n\r]*([,}])`, 'y');
const OPEN = /[ \t\n\r]*\{[ \t\n\r]*/y;
const CLOSE_EMPTY = /\}[ \t\n\r]*$/y;

/**
 * A JSON object whose values are all strings, as [key, value] pairs in the text's order. (JSON.parse would move
 * integer-like keys such as "0", "10" to the front; an ArrayRecord's order is the model's weight order.)
 */
export function parseStringEntries(text: string, what: string): [string, string][] {
  const fail = () => new WireError(`${what}: body is not a JSON object of strings: ${JSON.stringify(text.slice(0, 120))}`);
  OPEN.lastIndex = 0;
  if (!OPEN.exec(text)) throw fail();
  CLOSE_EMPTY.lastIndex = OPEN.lastIndex;
  if (CLOSE_EMPTY.exec(text)) return [];
  const entries: [string, string][] = [];
  ENTRY.lastIndex = OPEN.lastIndex;
  for (;;) {
    const match = ENTRY.exec(text);
    if (!match) throw fail();
    entries.push([JSON.parse(match[1]!) as string, JSON.parse(match[2]!) as string]);
    if (match[3] === '}') break;
  }
  if (text.slice(ENTRY.lastIndex).trim() !== '') throw fail();
  const keys = new Set(entries.map(([key]) => key));
  if (keys.size !== entries.length) throw new WireError(`${what}: body names the same key twice`);
  return entries;
}
