// Runs anywhere in main: what a value from a site's code is, in words, for messages about what it returned.

/** Longest rendering of a primitive value kept in a message. */
const SHOWN = 60;

export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'function') {
    return /^class\b/.test(Function.prototype.toString.call(value)) ? `class ${value.name || '(anonymous)'}` : 'a function';
  }
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  const shown = typeof value === 'bigint' || typeof value === 'symbol' ? String(value) : JSON.stringify(value);
  return `a ${typeof value} (${shown.length > SHOWN ? `${shown.slice(0, SHOWN)}...` : shown})`;
}

/** A small value as JSON (cut short), for messages that should show what was declared; kindOf where JSON cannot say. */
export function shown(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return kindOf(value);
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}...` : text;
}
