// Runs in the CLI process (plain Node): deals a training set out to the parties of a local federation, IID or skewed by label.
import { epochOrder } from '../../data/shuffle.js';

/** Share of a class that goes to its home party in a label-skewed split; the rest is spread over the others. */
export const HOME_SHARE = 0.8;

export interface SplitPlan {
  parties: number;
  /** Label skew instead of IID. */
  nonIid: boolean;
  seed: number;
  classes: number;
}

export interface PartySplit {
  /** Sample indexes per party, in the dataset's order. */
  parts: number[][];
  /** How the split was made, in words for the operator. */
  description: string;
}

export function splitSamples(labels: Uint8Array, plan: SplitPlan): PartySplit {
  return plan.nonIid ? byLabel(labels, plan) : iid(labels, plan);
}

/** Every sample shuffled with the seed, then dealt out in turn: parties differ in size by one at most. */
function iid(labels: Uint8Array, { parties, seed }: SplitPlan): PartySplit {
  const parts = dealt([...epochOrder(labels.length, true, seed, 0)], parties);
  return {
    parts: parts.map(sorted),
    description: `IID: the ${labels.length} training images shuffled (seed ${seed}) and dealt out in turn, so every party sees every class alike`,
  };
}

/**
 * Each class has a home party (classes in contiguous blocks: 10 classes over 3 parties give 4, 3 and 3); 80 % of a
 * class's images go home and the rest are dealt out among the other parties, so each party holds mostly its own 3 or 4 classes.
 */
function byLabel(labels: Uint8Array, { parties, seed, classes }: SplitPlan): PartySplit {
  const parts: number[][] = Array.from({ length: parties }, () => []);
  const home = (label: number) => Math.floor((label * parties) / classes);
  for (let label = 0; label < classes; label++) {
    const members = [...labels.keys()].filter((index) => labels[index] === label);
    const order = epochOrder(members.length, true, seed + label, 0);
    const shuffled = [...order].map((i) => members[i]!);
    const kept = Math.round(shuffled.length * HOME_SHARE);
    parts[home(label)]!.push(...shuffled.slice(0, kept));
    const others = [...parts.keys()].filter((party) => party !== home(label));
    dealt(shuffled.slice(kept), others.length).forEach((share, i) => parts[others[i]!]!.push(...share));
  }
  const homes = parts.map(
    (_, party) => `party ${party + 1}: ${classRange([...Array(classes).keys()].filter((label) => home(label) === party))}`,
  );
  return {
    parts: parts.map(sorted),
    description:
      `non-IID (label skew): each class has a home party (${homes.join('; ')}) that gets ${HOME_SHARE * 100} % of its images; ` +
      `the other ${Math.round((1 - HOME_SHARE) * 100)} % are dealt out evenly among the other parties`,
  };
}

function dealt<T>(items: readonly T[], hands: number): T[][] {
  const out: T[][] = Array.from({ length: hands }, () => []);
  items.forEach((item, i) => out[i % hands]!.push(item));
  return out;
}

function sorted(indexes: number[]): number[] {
  return indexes.sort((a, b) => a - b);
}

function classRange(labels: number[]): string {
  if (labels.length === 0) return 'no class';
  return labels.length === 1 ? `class ${labels[0]}` : `classes ${labels[0]}-${labels.at(-1)}`;
}

/** Images per class of one party's share, for the operator's table. */
export function classCounts(labels: Uint8Array, part: readonly number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const index of part) counts[labels[index]!]! += 1;
  return counts;
}
