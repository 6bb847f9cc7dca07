// Runs in the renderer: reads a party config's YAML text, and changes one key in it while keeping the rest of the text as typed.
import { isMap, isScalar, isSeq, parseDocument, stringify } from 'yaml';

export type KeyPath = readonly (string | number)[];
type Primitive = string | number | boolean;

/** The text as plain data, or null when it is not (yet) a YAML mapping: the form waits for the text to parse. */
export function readYaml(text: string): Record<string, unknown> | null {
  const doc = parseDocument(text);
  if (doc.errors.length) return null;
  const data: unknown = doc.toJS();
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
}

/** The value at `path` in plain data, or undefined. */
export function valueAt(data: unknown, path: KeyPath): unknown {
  return path.reduce<unknown>(
    (node, key) => (typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[key] : undefined),
    data,
  );
}

/**
 * `text` with the value at `path` set (undefined: removed). A value that replaces one already written is spliced
 * into the text where the old one was, so comments, their alignment and every other line stay exactly as typed;
 * adding or removing a key rewrites the document through the yaml package, which keeps comments but not spacing.
 * Text that does not parse is returned unchanged: the YAML view is where it gets fixed.
 */
export function withValue(text: string, path: KeyPath, value: unknown): string {
  const doc = parseDocument(text);
  if (doc.errors.length) return text;
  const node = doc.getIn(path, true);
  const range = (isScalar(node) || ((isSeq(node) || isMap(node)) && node.flow)) && node.range ? node.range : undefined;
  const inline = value === undefined ? undefined : inlineText(value);
  if (range && inline !== undefined && shapeOf(node) === shapeOf(value)) {
    return text.slice(0, range[0]) + inline + text.slice(range[1]);
  }
  if (value === undefined) doc.deleteIn(path);
  else doc.setIn(path, typeof value === 'object' && value !== null ? flowNode(doc, value) : value);
  return doc.toString({ flowCollectionPadding: false, lineWidth: 0 }); // lineWidth 0: a long flow list stays on its line
}

/** A scalar, a list or a mapping, whether a parsed node or a plain value: only a like replaces like in place. */
function shapeOf(item: unknown): 'list' | 'map' | 'scalar' {
  if (isSeq(item) || Array.isArray(item)) return 'list';
  return isMap(item) || (typeof item === 'object' && item !== null && !isScalar(item)) ? 'map' : 'scalar';
}

/** How a value is written on one line (`64`, `"a: b"`, `[28, 28]`, `{mean: [0.5], std: [0.25]}`), or undefined when it needs more. */
function inlineText(value: unknown): string | undefined {
  if (!isInline(value)) return undefined;
  const written = stringify(value, { flowCollectionPadding: false, collectionStyle: 'flow', lineWidth: 0 }).replace(/\n$/, '');
  return written.includes('\n') ? undefined : written;
}

/** A primitive, a list of primitives, or a mapping of those: short enough for one line. */
function isInline(value: unknown, depth = 0): boolean {
  if (isPrimitive(value)) return true;
  if (depth > 1 || typeof value !== 'object' || value === null) return false;
  return Object.values(value).every((item) => (Array.isArray(item) ? item.every(isPrimitive) : isInline(item, depth + 1)));
}

/** Short lists and mappings (an image size, class names, mean and std) read best on one line, as the examples write them. */
function flowNode(doc: ReturnType<typeof parseDocument>, value: object) {
  return doc.createNode(value, { flow: true });
}

function isPrimitive(value: unknown): value is Primitive {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
