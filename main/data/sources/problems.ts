// Runs anywhere in main: what a listing found and did not use, so nothing is skipped without being reported.

export interface ListingProblem {
  path: string;
  reason: string;
  /** `unreadable`: meant as a sample but cannot be one; `unused`: deliberately left out (e.g. not a listed class). */
  kind: 'unreadable' | 'unused';
}

/** Listing findings per split: problems are kept (capped), while every count stays exact. */
export class ListingReport {
  static readonly KEPT = 1000;
  readonly problems: ListingProblem[] = [];
  problemCount = 0;
  unreadableCount = 0;
  /** Files that are not images by their extension (README, .DS_Store ...): counted, not used. */
  ignoredFiles = 0;
  /** Class folders that hold no image. */
  readonly emptyClasses: string[] = [];

  problem(path: string, reason: string, kind: ListingProblem['kind'] = 'unreadable'): void {
    this.problemCount++;
    if (kind === 'unreadable') this.unreadableCount++;
    if (this.problems.length < ListingReport.KEPT) this.problems.push({ path, reason, kind });
  }
}
