// Runs in the renderer: the form fields of a built-in handler's `info`, derived from its schema in common/, never listed by hand.
import { z } from 'zod';
import { BUILTIN_INFO_SCHEMAS, DataSectionSchema } from '../../../common/data-config.js';
import type { BuiltinHandlerName } from '../../../common/data-config.js';

interface FieldBase {
  key: string;
  description?: string;
}

/** `yaml`: a value the form cannot edit well (e.g. `normalize`, a string or a mapping): it is shown, and edited in the YAML view. */
export type InfoField = FieldBase &
  (
    | { kind: 'text' }
    | { kind: 'number'; integer: boolean; min?: number; max?: number; default?: number }
    | { kind: 'boolean'; default?: boolean }
    | { kind: 'choice'; options: string[]; default?: string; pair?: { labels: [string, string] } }
    | { kind: 'pair'; labels: [string, string]; min?: number }
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
  const union = choiceOrPair(schema);
  if (union) return { ...base, kind: 'choice', ...union };
  const pair = schema.prefixItems;
  if (schema.type === 'array' && pair?.length === 2 && pair.every((item) => item.type === 'integer')) {
    return {
      ...base,
      kind: 'pair',
      labels: pairLabels(schema.description),
      ...(pair[0]!.minimum !== undefined && { min: pair[0]!.minimum }),
    };
  }
  if (schema.type === 'array' && schema.items && schema.items.type === 'string') return { ...base, kind: 'list' };
  return { ...base, kind: 'yaml', ...(schema.default !== undefined && { default: schema.default }) };
}

/**
 * A union of names and a [number, number] pair (`window`: file, a preset, minmax, zscore or [center, width]): a
 * choice of the names with the pair as one more option, its parts named by its description. Null when the union
 * holds anything else, which stays a YAML field.
 */
function choiceOrPair(schema: JsonSchema): { options: string[]; pair?: { labels: [string, string] } } | null {
  if (!schema.anyOf) return null;
  const options: string[] = [];
  let pair: { labels: [string, string] } | undefined;
  for (const member of schema.anyOf) {
    if (typeof member.const === 'string') options.push(member.const);
    else if (member.enum?.every((v) => typeof v === 'string')) options.push(...member.enum);
    else if (member.prefixItems?.length === 2 && member.prefixItems.every((item) => item.type === 'number'))
      pair = { labels: pairLabels(member.description) };
    else return null;
  }
  return options.length ? { options, ...(pair && { pair }) } : null;
}

/** JSON Schema writes "any safe integer" as ±2^53-1, which is no bound a person needs to see. */
function bounds(schema: JsonSchema): { min?: number; max?: number } {
  const meaningful = (n: number | undefined) => n !== undefined && Math.abs(n) < Number.MAX_SAFE_INTEGER;
  return { ...(meaningful(schema.minimum) && { min: schema.minimum }), ...(meaningful(schema.maximum) && { max: schema.maximum }) };
}

/** A pair's description names its parts the way the YAML is written: "[height, width]; ...". */
function pairLabels(description: string | undefined): [string, string] {
  const named = /^\[(\w+), (\w+)\]/.exec(description ?? '');
  return named ? [named[1]!, named[2]!] : ['first', 'second'];
}
