// Runs in the party (plain Node): the privacy ledger: every noised update sent, per federation run, beside the audit log, so a restart keeps the count.
import { readFile, stat } from 'node:fs/promises';
import { writeTextAtomically } from '../../config/atomic-write.js';
import type { DpRelease } from './accountant.js';

interface LedgerFile {
  version: 1;
  /** By Flower's run id (decimal text). */
  runs: Record<string, DpRelease[]>;
}

/** The ledger is a site's own small file: thousands of rounds fit in far less. */
const MAX_LEDGER_BYTES = 16 * 2 ** 20;

/** The ledger cannot be read: no update may leave under a budget that cannot be counted. */
export class LedgerUnreadable extends Error {
  override readonly name = 'LedgerUnreadable';
}

export class PrivacyLedger {
  constructor(readonly file: string) {}

  /** The releases of one run, oldest first; none when the file does not exist yet. */
  async releases(runId: string): Promise<DpRelease[]> {
    return (await this.#read()).runs[runId] ?? [];
  }

  /** Adds a release and rewrites the file atomically (a crash leaves the old ledger or the new one); resolves once it is on disk. */
  async record(runId: string, release: DpRelease): Promise<void> {
    const ledger = await this.#read();
    ledger.runs[runId] = [...(ledger.runs[runId] ?? []), release];
    await writeTextAtomically(this.file, `${JSON.stringify(ledger, null, 1)}\n`);
  }

  async #read(): Promise<LedgerFile> {
    const size = await stat(this.file).then(
      (s) => s.size,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw new LedgerUnreadable(`privacy ledger ${this.file}: ${error.message}`);
      },
    );
    if (size === null) return { version: 1, runs: {} };
    if (size > MAX_LEDGER_BYTES) throw new LedgerUnreadable(`privacy ledger ${this.file}: ${size} bytes, more than a ledger can hold`);
    const text = await readFile(this.file, 'utf8').catch((error: Error) => {
      throw new LedgerUnreadable(`privacy ledger ${this.file}: ${error.message}`);
    });
    return parseLedger(text, this.file);
  }
}

function parseLedger(text: string, file: string): LedgerFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LedgerUnreadable(`privacy ledger ${file} is not JSON (${(error as Error).message}): fix or remove it to reset the count`);
  }
  const ledger = parsed as Partial<LedgerFile>;
  if (ledger?.version !== 1 || typeof ledger.runs !== 'object' || ledger.runs === null)
    throw new LedgerUnreadable(`privacy ledger ${file}: expected {"version": 1, "runs": {...}}`);
  for (const [runId, releases] of Object.entries(ledger.runs)) {
    if (!Array.isArray(releases) || !releases.every(isRelease))
      throw new LedgerUnreadable(`privacy ledger ${file}: run ${runId} holds an entry that is not a release`);
  }
  return ledger as LedgerFile;
}

function isRelease(value: unknown): value is DpRelease {
  const release = value as DpRelease;
  const positive = (n: unknown) => typeof n === 'number' && n > 0 && Number.isFinite(n);
  return positive(release?.noiseMultiplier) && positive(release.epsilon) && positive(release.delta);
}
