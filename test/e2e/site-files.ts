// Test helper (Node): the files a site that took part before has beside its config, written as the party writes them.

export interface SiteRun {
  /** Flower's run id: a uint64 as decimal text. */
  runId: string;
  /** Milliseconds since the epoch: `at` of each line counts from here. */
  startedAt: number;
}

export interface LineSpec {
  direction: 'received' | 'sent';
  messageType: 'train' | 'evaluate';
  round: number;
  /** Seconds after the run started. */
  at: number;
  /** On a sent line: the metrics sent back. */
  metrics?: Record<string, number>;
  error?: string;
}

/** One line of an audit log, as the party's audit-entry writes it (a sent line answers the received line of its round and type). */
export function auditLine({ runId, startedAt }: SiteRun, { direction, messageType, round, at, metrics = {}, error }: LineSpec): string {
  const asked = `${runId}-${messageType}-${round}`;
  const values =
    direction === 'received'
      ? { 'config.server-round': round }
      : Object.fromEntries(Object.entries(metrics).map(([key, value]) => [`metrics.${key}`, value]));
  return JSON.stringify({
    time: new Date(startedAt + at * 1000).toISOString(),
    direction,
    messageType,
    runId,
    group: String(round),
    serverRound: direction === 'received' ? round : null,
    messageId: direction === 'received' ? asked : `${asked}-reply`,
    replyTo: direction === 'sent' ? asked : null,
    arrays: [],
    values,
    bytes: 100,
    error: error ?? null,
  });
}
