// Runs in the CLI process: `tributary party --config party.yaml`: joins the config's federation and serves its rounds until Ctrl-C, which leaves cleanly.
import type { FederationSection } from '../../common/federation-config.js';
import type { BackendChoice } from '../../common/training-config.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/party-config.js';
import { TrainingRunner } from '../engine/train/runner.js';
import { Party } from '../federation/client/party.js';
import type { PartyEvent, RoundSummary, TrainingProgress } from '../federation/client/party-events.js';
import { evaluationLine } from './evaluation-line.js';
import { reviewLines } from './review-lines.js';
import { interruptible } from './interrupts.js';
import { steadyPace } from './progress.js';
import { scheduleLine } from './schedule-line.js';
import { formatOpened } from './train-progress.js';

export interface PartyCommandOptions {
  loaded: LoadedConfig;
  /** Instead of the config's `training.backend`. */
  backend?: BackendChoice;
  /** Where SIGINT and SIGTERM arrive; the process by default. */
  signals?: NodeJS.EventEmitter;
  /** Where the progress line is drawn; stderr by default. */
  stream?: NodeJS.WriteStream;
}

/** Serves until the operator leaves; exit code 0 once the party has left the federation. Throws what failed to start. */
export async function partyCommand({ loaded, backend, signals = process, stream = process.stderr }: PartyCommandOptions): Promise<number> {
  const { file, baseDir, config } = loaded;
  if (!config.model)
    throw new ConfigError({
      file,
      key: 'model',
      problem: 'missing: a party needs a `model:` section (the architecture every site of the federation trains)',
    });
  const section = federationSection(loaded);
  const runner = new TrainingRunner();
  try {
    const info = await runner.open({ configFile: file, ...(backend && { backend }) });
    console.log(`${info.backend.description}\n${formatOpened(info, config.model)}`);
    const party = new Party({
      section,
      baseDir,
      runner,
      settings: info.settings,
      ...(config.privacy && { privacy: config.privacy }),
      ...(config.review && { review: config.review, modelName: info.model.name }),
      ...(config.schedule && { schedule: config.schedule }),
    });
    const display = partyDisplay(section, stream);
    party.on('event', display);
    party.on('event', (event) => {
      const pending = event.type === 'reviewing' ? party.review?.pending : null;
      if (pending) console.log(reviewLines(pending, file).join('\n'));
    });
    await interruptible(
      async () => {
        await party.join();
        console.log(`node key ${party.fingerprint} (${section.key_file}); audit log ${party.audit.file}`);
        if (config.privacy) console.log(`privacy policy in force (privacy:); budget ledger ${party.privacy.ledger.file}`);
        if (party.review) console.log(`task review: ${party.review.section.mode}; decisions in ${party.review.decisions.file}`);
        if (party.schedule) console.log(scheduleLine(party.schedule.schedule, new Date()));
        await party.left();
      },
      { onInterrupt: (count) => leave(party, count), handles: Infinity, signals },
    );
    return 0;
  } finally {
    await runner.close();
  }
}

/** The config's `federation:` section, checked with every problem on its line. */
function federationSection({ file, config }: LoadedConfig): FederationSection {
  if (config.federation) return config.federation;
  throw new ConfigError({ file, key: 'federation', problem: 'missing: a party needs a `federation:` section (at least `server:`)' });
}

/** First Ctrl-C (or SIGTERM): leave after the task in hand; second: abort it within a batch, then leave. */
function leave(party: Party, interrupts: number): void {
  const finish = interrupts === 1;
  console.error(
    finish ? 'leaving the federation after the task in hand (Ctrl-C again to abort it)' : 'aborting the task in hand, then leaving',
  );
  party.leave({ finish }).catch((error: unknown) => console.error(`leaving failed: ${(error as Error).message}`));
}

/**
 * Lines for what happens (stdout, errors on stderr) and, while training, bars for the round's epochs and the epoch's batches
 * (off a terminal: a line at a steady pace and at each epoch's end).
 */
export function partyDisplay(section: FederationSection, stream: NodeJS.WriteStream): (event: PartyEvent) => void {
  let drawn = false;
  let lastLine = '';
  let lastEpoch = '';
  /** The server said the run finished: the connection errors that follow when it closes are no news (the party's notice said so). */
  let finished = false;
  const due = steadyPace();
  const clear = () => {
    if (drawn) stream.write('\r\x1b[K');
    drawn = false;
  };
  const line = (text: string, toStderr = false) => {
    if (text === lastLine) return; // a state repeated (a reconnect that keeps failing the same way) is said once
    lastLine = text;
    clear();
    (toStderr ? console.error : console.log)(text);
  };
  return (event) => {
    switch (event.type) {
      case 'training': {
        if (stream.isTTY) {
          stream.write(`\r${progressLine(event)}\x1b[K`);
          drawn = true;
          return;
        }
        // An epoch's end is said once, even when its last batch is reported more than once.
        const epochEnd = event.batch === event.batches && `${event.round}:${event.epoch}` !== lastEpoch;
        if (epochEnd) lastEpoch = `${event.round}:${event.epoch}`;
        if (due(epochEnd)) stream.write(`${progressLine(event)}\n`);
        return;
      }
      case 'run':
        finished = event.finished;
        return;
      case 'connecting':
        if (!event.lastError) return line(`connecting to ${section.server} (${section.transport})`);
        if (finished) return;
        return line(`${event.refused ? `${section.server} refused` : `cannot reach ${section.server}`}: ${event.lastError}; trying again`);
      case 'idle':
        return line(`node ${event.nodeId}: waiting for work`);
      case 'paused':
        return line(`node ${event.nodeId}: paused (declining work)`);
      case 'evaluating':
        return line(`${roundName(event.round)}: evaluating on the test split`);
      case 'disconnected':
        return line(event.reason ?? 'disconnected');
      case 'round':
        return line(roundLine(event));
      case 'evaluation':
        return line(evaluationLine(event));
      case 'notice':
        return line(event.message);
      case 'error':
        return line(`error: ${event.message}`, true);
    }
  };
}

/** `round 3 [####......] epoch 2/5 [##########..........] batch 8/16  loss 0.5321  acc 0.8125  1830 samples/s  eta 4 s` */
function progressLine(p: TrainingProgress): string {
  const epochsDone = p.epoch - 1 + (p.batches ? p.batch / p.batches : 0);
  const metrics = [p.loss === null ? '' : `loss ${p.loss.toFixed(4)}`, p.acc === null ? '' : `acc ${p.acc.toFixed(4)}`]
    .filter(Boolean)
    .join('  ');
  return (
    `${roundName(p.round)} ${bar(epochsDone / p.epochs, 10)} epoch ${p.epoch}/${p.epochs} ` +
    `${bar(p.batches ? p.batch / p.batches : 1, 20)} batch ${p.batch}/${p.batches}  ${metrics}  ` +
    `${Math.round(p.samplesPerSec)} samples/s  eta ${Math.round(p.etaSec)} s`
  );
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function roundName(round: number | null): string {
  return round === null ? 'round ?' : `round ${round}`;
}

function roundLine(summary: RoundSummary): string {
  const head = `${roundName(summary.round)} ${summary.messageType}: ${summary.outcome} in ${summary.seconds.toFixed(1)} s`;
  const metrics = Object.entries(summary.metrics).map(([key, value]) => `${key} ${Number.isInteger(value) ? value : value.toFixed(4)}`);
  if (summary.error) return `${head} (${summary.error})`;
  return metrics.length ? `${head}: ${metrics.join(', ')}` : head;
}
