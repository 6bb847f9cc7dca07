// Runs anywhere in main: train/test by subject (patient), never by sample: a seeded hold-out of one set, and the refusal of subjects in two.
import { splitmix32 } from './shuffle.js';
import type { PhiHasher } from './sources/phi-hash.js';

/**
 * The subjects held out for test: the distinct subjects in byte order, shuffled with `seed`, the first
 * round(fraction x subjects) of them (at least one, and never all, when the fraction is above 0).
 */
export function heldOutSubjects(subjects: Iterable<string>, fraction: number, seed: number): Set<string> {
  const distinct = [...new Set(subjects)].sort();
  const next = splitmix32(seed);
  for (let i = distinct.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [distinct[i], distinct[j]] = [distinct[j]!, distinct[i]!];
  }
  const held = fraction === 0 ? 0 : Math.min(distinct.length - 1, Math.max(1, Math.round(fraction * distinct.length)));
  return new Set(distinct.slice(0, held));
}

/** The subjects found in both sets. */
export function sharedSubjects(train: Iterable<string>, test: Iterable<string>): string[] {
  const inTrain = new Set(train);
  return [...new Set([...test].filter((s) => inTrain.has(s)))];
}

/** The refusal of a two-set config whose sets share subjects: how many, and a few of them as hashes. */
export function sharedSubjectsProblem(shared: string[], subjectKind: string, hasher: PhiHasher): string {
  const shown = shared.slice(0, 5).map((s) => `#${hasher.hash(s)}`);
  const more = shared.length > shown.length ? ` and ${shared.length - shown.length} more` : '';
  return (
    `${shared.length} ${subjectKind}${shared.length === 1 ? ' is' : 's are'} in both train and test (${shown.join(', ')}${more}, ` +
    'salted hashes): a subject’s samples must all be on one side, or the test score measures memory of that subject'
  );
}
