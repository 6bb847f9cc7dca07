// Runs in the renderer: the form fields of a built-in handler's `info`, derived from its schema in common/, never listed by hand.
import { z } from 'zod';
import { BUILTIN_INFO_SCHEMAS, DataSectionSchema } from '../../../common/data-config.js';
import type { BuiltinHandlerName } from '../../../common/data-config.js';

interface FieldBase {
  key: string;
  description?: string;
}

/**
 * The one value a choice also takes beside its names: a pair of numbers (`window`: [center, width]), one number
 * (`slice`: a slice index), or named lists of numbers (`normalize`: mean and std per channel).
 */
export type ChoiceOther =
  | { kind: 'pair'; labels: [string, string]; integer: boolean }
  | { kind: 'number'; integer: boolean; min?: number }
  | { kind: 'lists'; keys: string[] };

/** `yaml`: a value the form cannot edit well: it is shown, and edited in the YAML view (no built-in has one today). */
export type InfoField = FieldBase &
  (
    | { kind: 'text' }
    | { kind: 'number'; integer: boolean; min?: number; max?: number; default?: number }
    | { kind: 'boolean'; default?: boolean }
    | { kind: 'choice'; options: (string | number)[]; default?: string | number; other?: ChoiceOther }
    /** Two or three whole numbers ([height, width]; a volume's [depth, height, width]), one labelled input each. */
    | { kind: 'pair'; labels: string[]; min?: number }
    | { kind: 'list' }
    | { kind: 'yaml'; default?: unknown }
  );

interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  const?: unknown;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
}

export const BUILTIN_HANDLERS = Object.keys(BUILTIN_INFO_SCHEMAS) as BuiltinHandlerName[];

export function isBuiltinHandler(name: unknown): name is BuiltinHandlerName {
  return typeof name === 'string' && (BUILTIN_HANDLERS as string[]).includes(name);
}

const cache = new Map<BuiltinHandlerName, InfoField[]>();

/** In the schema's order, which puts where the data is first, then how it is read. */
export function infoFields(handler: BuiltinHandlerName): InfoField[] {
  let fields = cache.get(handler);
  if (!fields) {
    fields = fieldsOf(BUILTIN_INFO_SCHEMAS[handler]);
    cache.set(handler, fields);
  }
  return fields;
}

/** Keys of the `data` section the form shows elsewhere: the handler picker and the info fields. */
const SECTION_KEYS_SHOWN_ELSEWHERE = new Set(['name', 'path', 'info']);
let sectionCache: InfoField[] | undefined;

/** The `data` section's own keys beside the handler and its `info` (e.g. `on_non_finite`): they hold for every handler, a site's too. */
export function sectionFields(): InfoField[] {
  sectionCache ??= fieldsOf(DataSectionSchema).filter((field) => !SECTION_KEYS_SHOWN_ELSEWHERE.has(field.key));
  return sectionCache;
}

function fieldsOf(schema: z.ZodType): InfoField[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return Object.entries(json.properties ?? {}).map(([key, property]) => fieldOf(key, property));
}

function fieldOf(key: string, schema: JsonSchema): InfoField {
  const base = { key, ...(schema.description && { description: schema.description }) };
  if (schema.enum?.every((v) => typeof v === 'string'))
    return { ...base, kind: 'choice', options: schema.enum, ...(typeof schema.default === 'string' && { default: schema.default }) };
  if (schema.type === 'string') return { ...base, kind: 'text' };
  if (schema.type === 'boolean')
    return { ...base, kind: 'boolean', ...(typeof schema.default === 'boolean' && { default: schema.default }) };
  if (schema.type === 'integer' || schema.type === 'number')
    return {
      ...base,
      kind: 'number',
      integer: schema.type === 'integer',
      ...bounds(schema),
      ...(typeof schema.default === 'number' && { default: schema.default }),
    };
  const union = choiceOrOther(schema);
  if (union)
    return {
      ...base,
      kind: 'choice',
      ...union,
      ...((typeof schema.default === 'string' || typeof schema.default === 'number') && { default: schema.default }),
    };
  const pair = schema.prefixItems;
  if (schema.type === 'array' && (pair?.length === 2 || pair?.length === 3) && pair.every((item) => item.type === 'integer')) {
    return {
      ...base,
      kind: 'pair',
      labels: pair.length === 3 ? tripleLabels(schema.description) : pairLabels(schema.description),
      ...(pair[0]!.minimum !== undefined && { min: pair[0]!.minimum }),
    };
  }
  if (schema.type === 'array' && schema.items && schema.items.type === 'string') return { ...base, kind: 'list' };
  // One name or several (the Dicom handler's folders): a list control, which writes one name as a list of one.
  const [one, many] = schema.anyOf ?? [];
  if (schema.anyOf?.length === 2 && one?.type === 'string' && many?.type === 'array' && many.items && many.items.type === 'string')
    return { ...base, kind: 'list' };
  return { ...base, kind: 'yaml', ...(schema.default !== undefined && { default: schema.default }) };
}

/**
 * A union of names and at most one other value (`window`: file, a preset, minmax, zscore or [center, width]; `slice`:
 * middle, first, last or a number; `normalize`: unit or {mean, std}): a choice of the names with the other value as
 * one more option. Null when the union holds anything else, which stays a YAML field.
 */
function choiceOrOther(schema: JsonSchema): { options: (string | number)[]; other?: ChoiceOther } | null {
  if (!schema.anyOf) return null;
  const options: (string | number)[] = [];
  let other: ChoiceOther | undefined;
  for (const member of schema.anyOf) {
    const named = member.const !== undefined ? [member.const] : member.enum;
    if (named?.every((v) => typeof v === 'string' || typeof v === 'number')) options.push(...(named as (string | number)[]));
    else {
      const found = other ? undefined : otherOf(member, schema.description);
      if (!found) return null;
      other = found;
    }
  }
  return options.length ? { options, ...(other && { other }) } : null;
}

function otherOf(member: JsonSchema, parentDescription: string | undefined): ChoiceOther | undefined {
  const numeric = (item: JsonSchema) => item.type === 'number' || item.type === 'integer';
  const pair = member.prefixItems;
  if (member.type === 'array' && pair?.length === 2 && pair.every(numeric))
    return {
      kind: 'pair',
      labels: pairLabels(member.description ?? parentDescription),
      integer: pair.every((item) => item.type === 'integer'),
    };
  if (numeric(member) && !member.enum) {
    const { min } = bounds(member);
    return { kind: 'number', integer: member.type === 'integer', ...(min !== undefined && { min }) };
  }
  const lists = Object.entries(member.properties ?? {});
  if (member.type === 'object' && lists.length > 0 && lists.every(([, list]) => list.type === 'array' && list.items && numeric(list.items)))
    return { kind: 'lists', keys: lists.map(([key]) => key) };
  return undefined;
}

/** JSON Schema writes "any safe integer" as ±2^53-1, which is no bound a person needs to see. */
function bounds(schema: JsonSchema): { min?: number; max?: number } {
  const meaningful = (n: number | undefined) => n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER;
  return { ...(meaningful(schema.minimum) && { min: schema.minimum }), ...(meaningful(schema.maximum) && { max: schema.maximum }) };
}

/** A pair's description names its parts the way the YAML is written: "[height, width]; ..." or "... or [from, to] inclusive". */
function pairLabels(description: string | undefined): [string, string] {
  const named = /\[(\w+), (\w+)\]/.exec(description ?? '');
  return named ? [named[1]!, named[2]!] : ['first', 'second'];
}

/** Three parts, named alike: "the [depth, height, width] ...". */
function tripleLabels(description: string | undefined): string[] {
  const named = /\[(\w+), (\w+), (\w+)\]/.exec(description ?? '');
  return named ? named.slice(1, 4) : ['first', 'second', 'third'];
}
