// Runs in the CLI process: `tributary approve`: approves or declines a federation run's task for a party running elsewhere (`tributary party` without a UI).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { loadPartyConfig } from '../config/party-config.js';
import { readAuditLog } from '../federation/client/audit-log.js';
import { decisionsFileOf, MAX_REASON_CHARS, ReviewDecisions } from '../federation/client/review-decisions.js';
import type { TaskSummary } from '../federation/client/task-summary.js';
import { UsageError } from './usage-error.js';

export const APPROVE_USAGE = `  tributary approve --config party.yaml --run N [--decline "why"]
      approve federation run N's task for the party of that config (its \`review:\` section asks first), or decline
      it with a reason the server is told; the party waiting for it (\`tributary party\`) goes on within a second,
      and a restarted party remembers. Given ahead of the run, it is not asked about at all`;

/** A party waits for a few hundred rounds' worth of audit lines at most: the newest of them hold the task asked. */
const AUDIT_LINES_READ = 2000;

export async function approveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string' }, run: { type: 'string' }, decline: { type: 'string' } } });
  if (!values.config) throw new UsageError('--config is required');
  if (!values.run || !/^\d{1,20}$/.test(values.run)) throw new UsageError('--run takes the run id the party printed (digits)');
  const reason = values.decline?.replace(/\s+/g, ' ').trim();
  if (reason !== undefined && (reason === '' || reason.length > MAX_REASON_CHARS))
    throw new UsageError(`--decline takes a reason of 1 to ${MAX_REASON_CHARS} characters: the server's error reply carries it`);
  const { file, baseDir, config } = await loadPartyConfig(values.config);
  if (!config.federation)
    throw new ConfigError({ file, key: 'federation', problem: 'missing: review decisions are kept beside its audit_log' });
  const auditLog = path.resolve(baseDir, config.federation.audit_log);
  const decisions = new ReviewDecisions(decisionsFileOf(auditLog));
  const task = (await decisions.find(values.run))?.task ?? (await askedTask(auditLog, values.run));
  await decisions.record({
    runId: values.run,
    decision: reason === undefined ? 'approved' : 'declined',
    by: 'operator',
    reason: reason ?? null,
    at: new Date().toISOString(),
    task,
  });
  console.log(`run ${values.run} ${reason === undefined ? 'approved' : `declined (${reason})`}; written to ${decisions.file}`);
  if (config.review === undefined || config.review.mode === 'off')
    console.log('note: this config has task review off (no `review:` section, or `mode: off`): its party serves every run anyway');
  return 0;
}

/** The task the party audited as waiting for this run, if it did: kept with the decision so the app can show what was approved. */
async function askedTask(auditLog: string, runId: string): Promise<TaskSummary | null> {
  const entries = await readAuditLog(auditLog, { last: AUDIT_LINES_READ });
  const waiting = entries.findLast((entry) => entry.runId === runId && entry.review?.state === 'waiting' && entry.review.task);
  return waiting?.review?.task ?? null;
}
