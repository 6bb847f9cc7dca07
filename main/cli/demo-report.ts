// Runs in the CLI process: what `tributary demo` prints: the parties and their data, progress as rounds run, and the global test accuracy per round.
import path from 'node:path';
import { readAuditLog } from '../federation/client/audit-log.js';
import type { LocalFederation, LocalParty } from '../federation/local/local-federation.js';
import { SITE_AUDIT_LOG } from '../federation/local/sites.js';
import { classCounts } from '../federation/local/split.js';
import type { AggregatorListener } from '../federation/server/events.js';
import type { Metrics } from '../federation/server/fedavg.js';
import type { RoundRecord } from '../federation/server/metrics-history.js';
import { eventLine } from '../federation/server/round-table.js';
import type { DemoOptions } from './demo-command.js';
import { table } from './table.js';

/** Lines as the aggregator works, with parties by name rather than by their 64-bit node ids. */
export function demoProgress(parties: () => readonly LocalParty[]): AggregatorListener {
  const name = (node: string) => parties().find((local) => local.nodeId === node)?.site.name ?? `node ${node}`;
  return (event) => {
    switch (event.type) {
      case 'listening':
        return console.log(`${eventLine(event)}: the reference aggregator, embedded in this process, loopback only`);
      case 'log':
        if (event.level !== 'info') console.error(`aggregator: ${event.level}: ${event.message}`);
        return;
      case 'phase-started':
        return console.log(
          `round ${event.round}: ${event.phase === 'train' ? 'training' : 'evaluating'} on ${event.sampled.map(name).join(', ')}`,
        );
      case 'node-replied':
        if (event.phase === 'train')
          console.log(`  ${name(event.node)} trained on ${event.numExamples} images: ${metricText(event.metrics)}`);
        return;
      case 'node-dropped':
      case 'reply-refused':
        return console.log(`  ${name(event.node)} ${event.type === 'node-dropped' ? 'dropped' : 'refused'}: ${event.reason}`);
      case 'round-done':
        return console.log(
          `round ${event.record.round} ${event.record.status} in ${event.record.seconds.toFixed(1)} s: ` +
            `global test accuracy ${fixed(event.record.eval_accuracy)}`,
        );
      default:
        return;
    }
  };
}

export function printParties(federation: LocalFederation, labels: Uint8Array, parts: readonly number[][], options: DemoOptions): void {
  const [first] = federation.parties;
  const model = 'builtin' in options.model ? options.model.builtin : options.model.path;
  console.log(
    `model: ${model} (${first?.info.model.parameters.toLocaleString('en-US')} parameters); ` +
      `${options.rounds} rounds of ${options.epochs} local epoch${options.epochs > 1 ? 's' : ''}; ` +
      `each party on ${first?.info.backend.name}`,
  );
  const rows = federation.parties.map((local, index) => [
    local.site.name,
    local.party.fingerprint ?? '-',
    local.site.trainSamples,
    classCounts(labels, parts[index]!, 10).join(' '),
  ]);
  console.log(`\n${table(['party', 'node key fingerprint', 'train images', 'images per class 0..9'], rows)}\n`);
}

export function printResults(records: readonly RoundRecord[]): void {
  const rows = records.map((record) => [
    record.round,
    fixed(record.eval_accuracy),
    fixed(record.eval_loss),
    fixed(metric(record.train.metrics, 'train_loss')),
    fixed(metric(record.train.metrics, 'train_acc')),
    `${record.train.replied.length}/${record.train.sampled.length}`,
    record.seconds.toFixed(1),
  ]);
  console.log(`\n${table(['round', 'global test acc', 'global test loss', 'train loss', 'train acc', 'replies', 'seconds'], rows)}`);
}

function metricText(metrics: Metrics): string {
  const loss = metric(metrics, 'train_loss');
  const acc = metric(metrics, 'train_acc');
  return `loss ${fixed(loss)}, accuracy ${fixed(acc)}`;
}

function metric(metrics: Metrics, key: string): number | null {
  const value = metrics[key];
  return typeof value === 'number' ? value : null;
}

function fixed(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}

/**
 * Under --secagg, what left each site, from its own audit log: the replies that carried its update, and whether
 * each left masked (SecAgg+'s collect_masked_vectors) or as plain weights; and the dropouts SecAgg+ recovered.
 */
export async function printMasking(federation: LocalFederation, records: readonly RoundRecord[]): Promise<void> {
  const rows = await Promise.all(
    federation.parties.map(async (local) => {
      const sent = (await readAuditLog(path.join(local.site.dir, SITE_AUDIT_LOG))).filter(
        (entry) => entry.direction === 'sent' && entry.messageType === 'train' && entry.outcome === 'replied',
      );
      const masked = sent.filter((entry) => entry.privacy?.masked).length;
      const plain = sent.filter((entry) => entry.arrays.some((array) => array.shape.reduce((n, size) => n * size, 1) > 0)).length;
      return [local.site.name, masked, plain];
    }),
  );
  console.log(
    `\nwhat left each site (from its audit log):\n${table(['party', 'updates sent masked (SecAgg+)', 'updates sent in the clear'], rows)}`,
  );
  const clear = rows.reduce((sum, row) => sum + (row[2] as number), 0);
  console.log(
    clear === 0
      ? 'every update left its site masked: the aggregator unmasked only each round\'s sum (see metrics.jsonl, "secagg")'
      : `${clear} update(s) left in the clear`,
  );
  const recovered = records.flatMap((record) => record.secagg?.recovered ?? []);
  if (recovered.length) console.log(`dropouts recovered from their neighbours' shares: ${recovered.length}`);
}
