// Runs in main (plain Node): the configs this session has opened, most recent first, as the UI offers them.

const KEPT = 10;

export class RecentConfigs {
  #files: string[];

  constructor(initial: readonly string[] = []) {
    this.#files = [...new Set(initial)].slice(0, KEPT);
  }

  note(file: string): void {
    this.#files = [file, ...this.#files.filter((f) => f !== file)].slice(0, KEPT);
  }

  list(): string[] {
    return [...this.#files];
  }
}
