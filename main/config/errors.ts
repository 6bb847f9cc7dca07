// Runs in main (plain Node): ConfigError, the one error a person fixing a config file sees, and its wording helpers.

/** One thing wrong in a config file, placed as precisely as is known. */
export interface ConfigIssue {
  file: string;
  /** Dotted path of the key at fault, e.g. `data.info.image_size`; empty when the file as a whole is at fault. */
  key: string;
  /** 1-based line in the YAML file. */
  line?: number;
  /** The handler module involved, when there is one. */
  module?: string;
  /** What is wrong, in words a site operator can act on. */
  problem: string;
}

/** A config that cannot be used; `issues` holds every problem found, and the message lists them one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string;
  readonly key: string;
  readonly line?: number;
  readonly module?: string;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue | readonly [ConfigIssue, ...ConfigIssue[]], options?: ErrorOptions) {
    const list = ([] as ConfigIssue[]).concat(issues);
    super(list.map(formatIssue).join('\n'), options);
    const [first] = list as [ConfigIssue];
    this.file = first.file;
    this.key = first.key;
    this.line = first.line;
    this.module = first.module;
    this.issues = list;
  }
}

/** `<file>:<line>: <key>: <problem>`, leaving out the parts that are not known. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return [where, issue.key, issue.problem].filter(Boolean).join(': ');
}

/** A key path as a person reads it: `data.info.image_size[0]`. */
export function dottedKey(at: readonly PropertyKey[]): string {
  return at.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}

/** The candidate a typo most likely meant, if one is close enough to be worth suggesting. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** ` (did you mean "x"?)`, or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : ` (did you mean ${JSON.stringify(match)}?)`;
}

/** Edit distance counting a swap of neighbours as one edit, the commonest typo. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
