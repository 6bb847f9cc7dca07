// Runs in main (plain Node): reads, validates and atomically saves a party's YAML config, every error placed on its line.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { Document, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { PartyConfigSchema } from '../../common/party-config.js';
import type { PartyConfig } from '../../common/party-config.js';
import { writeTextAtomically } from './atomic-write.js';
import { ConfigError, didYouMean, dottedKey } from './errors.js';
import type { ConfigIssue } from './errors.js';
import { fsProblem } from './fs-problem.js';
import { isPlainObject, keyText, readConfigText, readYamlConfig } from './yaml-config.js';
import type { ConfigPath, LineOf } from './yaml-config.js';

export interface LoadedConfig {
  /** Absolute path of the config file. */
  file: string;
  /** The config file's folder: relative paths in the config resolve against it. */
  baseDir: string;
  config: PartyConfig;
  lineOf: LineOf;
}

/** Where a section being validated sits, so its issues name the right file, key and line. */
export interface SectionPlace {
  file: string;
  lineOf: LineOf;
  /** The section's own path in the file, e.g. `['data', 'info']`; empty for the whole file. */
  keyPrefix?: ConfigPath;
  module?: string;
}

/** What a caller hands to savePartyConfig: defaults may be left out. */
export type PartyConfigInput = z.input<typeof PartyConfigSchema>;

export async function loadPartyConfig(file: string): Promise<LoadedConfig> {
  const absolute = path.resolve(file);
  const { value, lineOf } = await readYamlConfig(absolute);
  const config = validateSection(PartyConfigSchema, value, { file: absolute, lineOf });
  return { file: absolute, baseDir: path.dirname(absolute), config, lineOf };
}

/**
 * Validate one section against its schema, reporting every issue at once, each on its YAML line and in plain
 * words. Returns the parsed value (defaults filled in).
 */
export function validateSection<S extends z.ZodType>(schema: S, value: unknown, at: SectionPlace): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues
    .flatMap((issue) => placeIssue(schema, issue, at))
    .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  throw new ConfigError(issues as [ConfigIssue, ...ConfigIssue[]]);
}

/**
 * Write the config atomically (temp file in the same folder, fsync, rename), so a crash leaves either the old
 * file or the new one. When the file already holds valid YAML, its Document is edited in place rather than
 * replaced, so comments, key order and quoting survive for every key whose value is kept or changed; a file
 * that does not parse is rewritten from scratch, since there is nothing trustworthy to keep.
 */
export async function savePartyConfig(file: string, config: PartyConfigInput): Promise<void> {
  const target = await realpath(file).catch(() => path.resolve(file));
  validateSection(PartyConfigSchema, config, { file: target, lineOf: () => undefined });
  const doc = (await editableDocument(target)) ?? new Document();
  doc.contents = updatedNode(doc, doc.contents, config);
  await writeTextAtomically(target, doc.toString()).catch((error: unknown) => {
    throw new ConfigError({ file: target, key: '', problem: `cannot save the config: ${fsProblem(error)}` }, { cause: error });
  });
}

// ---- zod issues in plain words -------------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

/** The parts of zod 4's schema definitions that wording needs (zod keeps them on `_zod.def`). */
interface SchemaDef {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  items?: Schema[];
  valueType?: Schema;
  options?: Schema[];
  entries?: Record<string, unknown>;
  values?: unknown[];
  checks?: { _zod: { def: CheckDef } }[];
}

interface CheckDef {
  check: string;
  format?: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);

function defOf(schema: Schema): SchemaDef {
  return schema._zod.def as unknown as SchemaDef;
}

function unwrap(schema: Schema): Schema {
  let s = schema;
  for (let def = defOf(s); WRAPPERS.has(def.type) || def.type === 'pipe'; def = defOf(s)) s = (def.innerType ?? def.in)!;
  return s;
}

/** The schema of the value at `at`, following the first union member that has it. */
function schemaAt(schema: Schema, at: readonly PropertyKey[]): Schema | undefined {
  const [head, ...tail] = at;
  const s = unwrap(schema);
  if (head === undefined) return s;
  const def = defOf(s);
  if (def.type === 'union') {
    for (const option of def.options ?? []) {
      const found = schemaAt(option, at);
      if (found) return found;
    }
    return undefined;
  }
  const child =
    def.type === 'object'
      ? def.shape?.[String(head)]
      : def.type === 'array'
        ? def.element
        : def.type === 'tuple'
          ? def.items?.[Number(head)]
          : def.type === 'record'
            ? def.valueType
            : undefined;
  return child && schemaAt(child, tail);
}

function placeIssue(schema: Schema, issue: Issue, at: SectionPlace): ConfigIssue[] {
  const full = [...(at.keyPrefix ?? []), ...issue.path];
  const place = { file: at.file, key: dottedKey(full), ...(at.module && { module: at.module }) };
  const target = schemaAt(schema, issue.path);
  if (issue.code === 'unrecognized_keys') {
    const present = Object.keys((issue.input ?? {}) as object);
    const allowed = Object.keys((target && defOf(target).shape) ?? {}).filter((k) => !present.includes(k));
    return issue.keys.map((key) => ({
      ...place,
      line: at.lineOf([...full, key]),
      problem: `unknown key ${JSON.stringify(key)}${didYouMean(key, allowed)}`,
    }));
  }
  const problem = problemOf(issue, target);
  return problem === undefined ? [] : [{ ...place, line: at.lineOf(full), problem }];
}

/** An issue in plain words; nothing for one that only repeats another issue on the same key. */
function problemOf(issue: Issue, target: Schema | undefined): string | undefined {
  if (issue.code === 'custom') return issue.message;
  if ((issue.code === 'too_big' || issue.code === 'too_small') && issue.origin === 'int') return wholeNumberRange(issue, target);
  const expected = target && describe(target);
  const input = issue.input;
  if (!expected) return `${lowerFirst(issue.message)}, got ${show(input)}`;
  if (input === undefined) return `missing: expected ${expected}`;
  return `expected ${expected}, got ${show(input)}${hint(issue, input)}`;
}

/**
 * zod's own range for whole numbers (the safe integers, beyond which a number no longer counts exactly), which
 * `describe` does not name. A key with its own bound inside it on that side reports the value against that bound already.
 */
function wholeNumberRange(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall, target: Schema | undefined): string | undefined {
  const tighter = (c: CheckDef) =>
    issue.code === 'too_big'
      ? c.check === 'less_than' && Number(c.value) <= Number(issue.maximum)
      : c.check === 'greater_than' && Number(c.value) >= Number(issue.minimum);
  if (target && checksOf(target).some(tighter)) return undefined;
  return issue.code === 'too_big'
    ? `${show(issue.input)} is too large: a whole number here is at most ${String(issue.maximum)}`
    : `${show(issue.input)} is too small: a whole number here is at least ${String(issue.minimum)}`;
}

/** What the operator probably meant: a near enum value, or the number in text that YAML did not read as one. */
function hint(issue: Issue, input: unknown): string {
  if (typeof input !== 'string') return '';
  if (issue.code === 'invalid_value') return didYouMean(input, issue.values.map(String));
  const number = Number(input.replace(/_/g, ''));
  const numeric = issue.code === 'invalid_type' && issue.expected === 'number' && input.trim() !== '' && Number.isFinite(number);
  return numeric ? `, which is text: write the number as ${number}` : '';
}

/** What a schema accepts, as a site operator would say it. */
function describe(schema: Schema): string | undefined {
  const def = defOf(unwrap(schema));
  const checks = checksOf(schema);
  const minLength = checks.find((c) => c.check === 'min_length')?.minimum ?? 0;
  switch (def.type) {
    case 'string':
      return minLength > 0 ? 'non-empty text' : 'text';
    case 'number':
      return describeNumber(checks);
    case 'boolean':
      return 'true or false';
    case 'literal':
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
    case 'enum':
      return `one of ${Object.values(def.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(', ')}`;
    case 'array':
      return minLength === 0 ? 'a list' : minLength === 1 ? 'a non-empty list' : `a list of at least ${minLength} values`;
    case 'tuple':
      return `a list of ${def.items?.length ?? 0} values`;
    case 'object':
      return `a mapping with keys ${Object.keys(def.shape ?? {}).join(', ')}`;
    case 'record':
      return 'a mapping of keys to values';
    case 'union': {
      const options = (def.options ?? []).map(describe);
      return options.every(Boolean) ? options.join(', or ') : undefined;
    }
    default:
      return undefined;
  }
}

function checksOf(schema: Schema): CheckDef[] {
  return (defOf(unwrap(schema)).checks ?? []).map((c) => c._zod.def);
}

function describeNumber(checks: CheckDef[]): string {
  const whole = checks.some((c) => c.check === 'number_format' && /int/.test(c.format ?? ''));
  const low = checks.find((c) => c.check === 'greater_than');
  const high = checks.find((c) => c.check === 'less_than');
  const base = whole ? 'a whole number' : 'a number';
  if (low?.inclusive && high?.inclusive) return `${base} from ${String(low.value)} to ${String(high.value)}`;
  const bounds = [
    low && `${low.inclusive ? '>=' : '>'} ${String(low.value)}`,
    high && `${high.inclusive ? '<=' : '<'} ${String(high.value)}`,
  ].filter(Boolean);
  return [base, bounds.join(' and ')].filter(Boolean).join(' ');
}

/** A value as it appears in the report: short ones verbatim, long ones by kind. */
function show(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'number') return showNumber(value);
  const json = JSON.stringify(value);
  if (json !== undefined && json.length <= 40) return json;
  if (typeof value === 'string') return `${JSON.stringify(value.slice(0, 37))}...`;
  return Array.isArray(value) ? `a list of ${value.length} values` : 'a mapping';
}

/** As a person would write it: JSON would print NaN and infinity as null, -0 as 0, and 1e20 with twenty zeros. */
function showNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN (not a number)';
  if (!Number.isFinite(value)) return value > 0 ? 'infinity' : '-infinity';
  if (Object.is(value, -0)) return '-0';
  return Math.abs(value) >= 1e16 ? value.toExponential().replace('e+', 'e') : String(value);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

// ---- saving ----------------------------------------------------------------------------------------------------

/** The file's Document when it parses cleanly, to edit in place; otherwise nothing. */
async function editableDocument(file: string): Promise<Document | undefined> {
  const text = await readConfigText(file).catch((error: unknown) => {
    if (((error as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  const doc = parseDocument(text);
  return doc.errors.length === 0 ? doc : undefined;
}

/** `node` changed to hold `value`, reusing the existing nodes (and so their comments) wherever the shape allows. */
function updatedNode(doc: Document, node: unknown, value: unknown): YamlNode {
  if (isMap(node) && isPlainObject(value)) {
    const kept = Object.entries(value).filter(([, v]) => v !== undefined);
    const keys = new Set(kept.map(([key]) => key));
    for (const pair of [...node.items]) if (!keys.has(keyText(pair.key))) node.delete(pair.key);
    for (const [key, v] of kept) node.set(key, updatedNode(doc, node.get(key, true), v));
    return node;
  }
  if (isSeq(node) && Array.isArray(value)) {
    node.items.splice(value.length);
    value.forEach((v, i) => node.set(i, updatedNode(doc, node.get(i, true), v)));
    return node;
  }
  if (isScalar(node) && typeof node.value === typeof value && value !== null) {
    node.value = value;
    return node;
  }
  return doc.createNode(value);
}
