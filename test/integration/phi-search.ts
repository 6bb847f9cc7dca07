// Test helper (plain Node): looks for patient identifiers in bytes, as written plainly and in the encodings they could take on the way.
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** One way an identifier can be turned into bytes. */
export interface PhiForm {
  name: string;
  encode: (value: string) => Buffer[];
}

/** The text forms of a value: as given, DICOM PN '^' as spaces and reordered (Given Family), a DA date as YYYY-MM-DD; each in upper and lower case. */
export function textForms(value: string): string[] {
  const forms = new Set([value, value.replaceAll('^', ' ')]);
  const [family, given] = value.split('^');
  if (given !== undefined) forms.add(`${given} ${family}`);
  const date = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (date) forms.add(`${date[1]}-${date[2]}-${date[3]}`);
  return [...forms].flatMap((form) => [form, form.toUpperCase(), form.toLowerCase()]);
}

/**
 * Base64 of a value at each of the three byte offsets it can start at, only the characters that depend on the value alone
 * (so it is found inside a longer base64 string wherever it sits).
 */
function base64Forms(text: string): Buffer[] {
  return [0, 1, 2].map((offset) => {
    const encoded = Buffer.concat([Buffer.alloc(offset), Buffer.from(text, 'utf8')]).toString('base64');
    const start = Math.ceil((offset * 4) / 3);
    const end = Math.floor(((offset + Buffer.byteLength(text)) * 4) / 3);
    return Buffer.from(encoded.slice(start, end), 'latin1');
  });
}

export const PHI_FORMS: PhiForm[] = [
  { name: 'utf-8', encode: (value) => textForms(value).map((text) => Buffer.from(text, 'utf8')) },
  { name: 'utf-16le', encode: (value) => textForms(value).map((text) => Buffer.from(text, 'utf16le')) },
  { name: 'utf-16be', encode: (value) => textForms(value).map((text) => Buffer.from(text, 'utf16le').swap16()) },
  { name: 'url', encode: (value) => textForms(value).map((text) => Buffer.from(encodeURIComponent(text), 'latin1')) },
  { name: 'hex', encode: (value) => textForms(value).map((text) => Buffer.from(Buffer.from(text).toString('hex'))) },
  { name: 'base64', encode: (value) => textForms(value).flatMap(base64Forms) },
];

/** Each value's needles by form, made once: a search runs over many buffers. */
const needles = new Map<string, { form: string; needles: Buffer[] }[]>();

function needlesOf(value: string): { form: string; needles: Buffer[] }[] {
  let made = needles.get(value);
  if (!made) needles.set(value, (made = PHI_FORMS.map((form) => ({ form: form.name, needles: form.encode(value) }))));
  return made;
}

/** Which values are in `bytes`, and in which form: `value (form)` for each hit. */
export function phiFound(bytes: Buffer, values: readonly string[]): string[] {
  const hits: string[] = [];
  for (const value of values)
    for (const { form, needles } of needlesOf(value)) if (needles.some((needle) => bytes.includes(needle))) hits.push(`${value} (${form})`);
  return hits;
}

/** Every file under `dir` (recursively, symlinks not followed), with its bytes. */
export async function filesUnder(dir: string): Promise<{ file: string; bytes: Buffer }[]> {
  const entries = await fsp.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  return Promise.all(files.map(async (file) => ({ file, bytes: await fsp.readFile(file) })));
}

/** Size and modification time of every file under `dir`: what was there before, to find what a run wrote among the inputs. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await fsp.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const stat = await fsp.stat(file);
    out.set(file, `${stat.size} ${stat.mtimeMs}`);
  }
  return out;
}
