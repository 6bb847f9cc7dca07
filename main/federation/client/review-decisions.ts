// Runs in the party and the CLI (plain Node): the operator's decisions on federation runs, beside the audit log, so a restart does not ask again.
import { readFile, stat } from 'node:fs/promises';
import { writeTextAtomically } from '../../config/atomic-write.js';
import type { TaskSummary } from './task-summary.js';

export interface RunDecision {
  runId: string;
  decision: 'approved' | 'declined';
  /** operator: approved or declined by hand (the app, or `tributary approve`); bounds: approved within the review bounds. */
  by: 'operator' | 'bounds';
  /** A decline's reason, as the server's error reply carries it; null for an approval. */
  reason: string | null;
  /** ISO-8601, UTC. */
  at: string;
  /** What was reviewed; null when the decision came before the run's first message (`tributary approve` ahead of time). */
  task: TaskSummary | null;
}

interface DecisionsFile {
  version: 1;
  /** Oldest first, one per run. */
  runs: RunDecision[];
}

/** A site sees a few runs a week: the newest 200 are remembered, older ones are asked about again if they ever come back. */
export const KEPT_DECISIONS = 200;
/** 200 decisions with their task summaries fit in well under this. */
const MAX_FILE_BYTES = 4 * 2 ** 20;
/** A decline's reason is for a person and an error reply: a line, not an essay. */
export const MAX_REASON_CHARS = 500;

/** The file cannot be read: nothing in it is taken as approved. */
export class DecisionsUnreadable extends Error {
  override readonly name = 'DecisionsUnreadable';
}

/** `<audit_log>.review.json`: the party's state folder is the audit log's. */
export function decisionsFileOf(auditLog: string): string {
  return `${auditLog}.review.json`;
}

export class ReviewDecisions {
  constructor(readonly file: string) {}

  /** Oldest first; none when the file does not exist yet. */
  async read(): Promise<RunDecision[]> {
    const size = await stat(this.file).then(
      (s) => s.size,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw new DecisionsUnreadable(`review decisions ${this.file}: ${error.message}`);
      },
    );
    if (size === null) return [];
    if (size > MAX_FILE_BYTES) throw new DecisionsUnreadable(`review decisions ${this.file}: ${size} bytes, more than the file can hold`);
    const text = await readFile(this.file, 'utf8').catch((error: Error) => {
      throw new DecisionsUnreadable(`review decisions ${this.file}: ${error.message}`);
    });
    return parseDecisions(text, this.file);
  }

  async find(runId: string): Promise<RunDecision | undefined> {
    return (await this.read()).find((decision) => decision.runId === runId);
  }

  /** Replaces the run's earlier decision; keeps the newest KEPT_DECISIONS; atomic (a crash leaves the old file or the new one). */
  async record(decision: RunDecision): Promise<void> {
    const runs = [...(await this.read()).filter((kept) => kept.runId !== decision.runId), decision].slice(-KEPT_DECISIONS);
    const file: DecisionsFile = { version: 1, runs };
    await writeTextAtomically(this.file, `${JSON.stringify(file, null, 1)}\n`);
  }
}

function parseDecisions(text: string, file: string): RunDecision[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DecisionsUnreadable(`review decisions ${file} is not JSON (${(error as Error).message}): fix or remove it`);
  }
  const decisions = parsed as Partial<DecisionsFile>;
  if (decisions?.version !== 1 || !Array.isArray(decisions.runs))
    throw new DecisionsUnreadable(`review decisions ${file}: expected {"version": 1, "runs": [...]}`);
  const bad = decisions.runs.findIndex((run) => !isDecision(run));
  if (bad >= 0) throw new DecisionsUnreadable(`review decisions ${file}: runs[${bad}] is not a decision`);
  return decisions.runs;
}

function isDecision(value: unknown): value is RunDecision {
  const run = value as RunDecision;
  return (
    typeof run?.runId === 'string' &&
    /^\d{1,20}$/.test(run.runId) &&
    (run.decision === 'approved' || run.decision === 'declined') &&
    (run.by === 'operator' || run.by === 'bounds') &&
    (run.reason === null || typeof run.reason === 'string') &&
    typeof run.at === 'string' &&
    (run.task === null || typeof run.task === 'object')
  );
}
