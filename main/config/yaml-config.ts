// Runs in main (plain Node): the one YAML config reader (party, aggregator, an editor's text): plain data, a line per key, every problem on its line.
import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document } from 'yaml';
import { ConfigError, dottedKey } from './errors.js';
import type { ConfigIssue } from './errors.js';
import { fsProblem } from './fs-problem.js';

/** A key's place in the config: `['data', 'info', 'image_size', 0]`. */
export type ConfigPath = readonly PropertyKey[];
/** The YAML line of a key (or of its nearest ancestor present in the file). */
export type LineOf = (path: ConfigPath) => number | undefined;

/** A config is a page of settings someone wrote; text larger than this is refused before it is parsed. */
export const MAX_CONFIG_BYTES = 1_000_000;

export interface YamlConfig {
  /** The top-level mapping as plain data; an empty file is an empty mapping, so a report can say what is missing. */
  value: Record<string, unknown>;
  lineOf: LineOf;
}

/** A config file's text; refused, before reading, when it is no regular file or is over MAX_CONFIG_BYTES. */
export async function readConfigText(file: string): Promise<string> {
  const cannotRead = (problem: string, cause?: unknown) =>
    new ConfigError({ file, key: '', problem: `cannot read the config: ${problem}` }, { cause });
  const found = await stat(file).catch((error: unknown) => {
    throw cannotRead(fsProblem(error), error);
  });
  if (found.isDirectory()) throw cannotRead('it is a folder, not a file');
  if (!found.isFile()) throw cannotRead('it is not a regular file');
  if (found.size > MAX_CONFIG_BYTES) throw cannotRead(tooLarge(found.size));
  return readFile(file, 'utf8').catch((error: unknown) => {
    throw cannotRead(fsProblem(error), error);
  });
}

/** `file` (absolute) read and parsed; throws ConfigError with every problem found. */
export async function readYamlConfig(file: string): Promise<YamlConfig> {
  return parseYamlConfig(await readConfigText(file), file);
}

/** YAML text parsed as the config `file` (named in the errors); throws ConfigError with every problem found. */
export function parseYamlConfig(text: string, file: string): YamlConfig {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) throw new ConfigError({ file, key: '', problem: tooLarge(bytes) });
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const syntax = doc.errors.map((error): ConfigIssue => ({
    file,
    key: '',
    line: lines.linePos(error.pos[0]).line,
    problem: `YAML syntax: ${error.message}`,
  }));
  const [first, ...rest] = syntax.length ? syntax : aliasProblems(doc, lines, file);
  if (first) throw new ConfigError([first, ...rest]);
  const value = plainValue(doc, file);
  if (!isPlainObject(value)) {
    const got = Array.isArray(value) ? 'a list' : `a single value (${JSON.stringify(value).slice(0, 40)})`;
    const problem = `a config is a YAML mapping of keys to values; this one is ${got}`;
    throw new ConfigError({ file, key: '', line: lineOfNode(lines, doc.contents), problem });
  }
  return { value, lineOf: (at) => lineInDocument(doc, lines, at) };
}

function tooLarge(bytes: number): string {
  return `it is ${bytes} bytes; a config is at most ${MAX_CONFIG_BYTES / 1e6} MB`;
}

function plainValue(doc: Document, file: string): unknown {
  try {
    return doc.toJS() ?? {};
  } catch (error) {
    // toJS refuses alias bombs ("billion laughs"); that is the file's fault, so say so.
    throw new ConfigError({ file, key: '', problem: (error as Error).message }, { cause: error });
  }
}

/**
 * Aliases that cannot become plain data, each on its line: one naming no anchor above it, and one inside the node it
 * names (`a: &x [*x]`), which would be a structure without end. An alias names the last node with its anchor before
 * it; every cycle needs such an alias inside its own anchor, so checking each alias's ancestors finds them all.
 */
function aliasProblems(doc: Document, lines: LineCounter, file: string): ConfigIssue[] {
  const anchored = new Map<string, unknown>();
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Node(_key, node, ancestors) {
      if (!isAlias(node)) {
        if (node.anchor) anchored.set(node.anchor, node);
        return;
      }
      const target = anchored.get(node.source);
      const problem =
        target === undefined
          ? `alias *${node.source} names no anchor &${node.source} above it`
          : ancestors.includes(target as never)
            ? `alias *${node.source} is inside the value &${node.source} it repeats, so that value would never end`
            : undefined;
      if (problem) issues.push({ file, key: dottedKey(keyPath([...ancestors, node])), line: lineOfNode(lines, node), problem });
    },
  });
  return issues;
}

/** The config path of the last node in `chain` (a node and its ancestors, outermost first). */
function keyPath(chain: readonly unknown[]): PropertyKey[] {
  return chain.flatMap((item, i): PropertyKey[] => {
    if (isPair(item)) return [keyText(item.key)];
    if (isSeq(item)) return [item.items.indexOf(chain[i + 1] as never)];
    return [];
  });
}

/** The line of the deepest key of `at` that the file has; `undefined` only when not even the first key is there. */
function lineInDocument(doc: Document, counter: LineCounter, at: ConfigPath): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const segment of at) {
    const child = childNode(node, segment);
    if (!child) break;
    line = lineOfNode(counter, child.place) ?? line;
    node = child.value;
  }
  return line;
}

/** A mapping's entry points at its key (where a person looks), a list item at itself. */
function childNode(node: unknown, segment: PropertyKey): { place: unknown; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => keyText(p.key) === String(segment));
    return pair && { place: pair.key, value: pair.value };
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item: unknown = node.items[segment];
    return item === undefined ? undefined : { place: item, value: item };
  }
  return undefined;
}

export function keyText(key: unknown): string {
  return String(isScalar(key) ? key.value : key);
}

function lineOfNode(counter: LineCounter, node: unknown): number | undefined {
  return isNode(node) && node.range ? counter.linePos(node.range[0]).line : undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
