// Runs in main (plain Node): checks a party config given as text (an editor's unsaved buffer) as if it were the file.
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { ConfigCheck } from '../../common/contract/config-api.js';
import type { ConfigIssue } from '../../common/contract/config-issue.js';
import { PartyConfigSchema } from '../../common/party-config.js';
import { ConfigError } from '../config/errors.js';
import { lineInDocument, validateSection } from '../config/party-config.js';
import type { ConfigPath, LoadedConfig } from '../config/party-config.js';
import { loadDataHandler } from '../data/handler-loader.js';
import { contractIssue } from './service-errors.js';

/**
 * The same checks loadPartyConfig and the handler loader make, from text rather than a file (main/config reads
 * only files), with the same wording: YAML syntax, the whole file's schema, then a built-in handler's `info`.
 * A site's own handler module is not loaded here: that runs site code, which a scan does deliberately.
 */
export async function checkConfigText(text: string, file: string): Promise<ConfigCheck> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const syntax = doc.errors.map((error) => ({ key: '', line: lineCounter.linePos(error.pos[0]).line, problem: `YAML syntax: ${error.message}` }));
  if (syntax.length) return { parsed: null, valid: false, issues: syntax };
  const parsed = plainData(doc);
  if (!parsed.ok) return { parsed: null, valid: false, issues: [{ key: '', problem: parsed.problem }] };
  const lineOf = (at: ConfigPath) => lineInDocument(doc, lineCounter, at);
  const issues = await problems(parsed.value, { file: path.resolve(file), baseDir: path.dirname(path.resolve(file)), lineOf });
  return { parsed: parsed.value, valid: issues.length === 0, issues };
}

async function problems(value: Record<string, unknown>, place: Omit<LoadedConfig, 'config'>): Promise<ConfigIssue[]> {
  try {
    const config = validateSection(PartyConfigSchema, value, place);
    if (config.data.path === undefined) await loadDataHandler({ ...place, config });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map(contractIssue);
  }
}

function plainData(doc: Document): { ok: true; value: Record<string, unknown> } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = doc.toJS() ?? {}; // an empty file is an empty mapping, so the issues name the missing sections
  } catch (error) {
    return { ok: false, problem: (error as Error).message }; // an alias bomb, refused by the yaml package
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { ok: true, value: value as Record<string, unknown> };
  return { ok: false, problem: 'a party config is a YAML mapping with a `data:` section' };
}
