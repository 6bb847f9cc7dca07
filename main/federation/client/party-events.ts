// Runs in the party (plain Node): the party's states and events, the one stream a UI or the CLI watches.
import type { LocalEvaluationResult } from '../../../common/local-evaluation.js';

/** Where training stands, as often as the training thread reports a batch. */
export interface TrainingProgress {
  /** The config's "server-round", else the message's group id as a number, else null. */
  round: number | null;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Running means over the epoch so far. */
  loss: number | null;
  acc: number | null;
  samplesPerSec: number;
  etaSec: number;
}

/** One epoch of a round's training, finished: its means over the epoch (null when not a finite number). */
export interface EpochDone {
  /** The run of the message being trained for (Flower's run id as decimal text). */
  runId: string | null;
  round: number | null;
  /** 1-based, within the round; `epochs` in all. */
  epoch: number;
  epochs: number;
  loss: number | null;
  acc: number | null;
  samples: number;
  seconds: number;
  samplesPerSec: number;
}

/** What the party is doing; it is always in exactly one of these. */
export type PartyState =
  | { type: 'disconnected'; reason: string | null }
  /** refused: the server answered the last try with a refusal (a key not registered yet, say), rather than not being reached. */
  | { type: 'connecting'; attempt: number; lastError: string | null; refused: boolean; retryInMs: number | null }
  | { type: 'idle'; nodeId: string }
  /** runId: the run of the message being served (Flower's run id as decimal text). */
  | ({ type: 'training'; runId: string | null } & TrainingProgress)
  | { type: 'evaluating'; round: number | null }
  | { type: 'paused'; nodeId: string }
  /** Task review: the run's first message waits for the operator's approval until `deadline` (ISO-8601). */
  | { type: 'reviewing'; runId: string; round: number | null; deadline: string };

export type RoundOutcome = 'replied' | 'declined' | 'refused' | 'aborted' | 'failed';

/** One message from the server, handled: what was asked, what went back, how long it took. */
export interface RoundSummary {
  messageType: string;
  /** The federation run the message belonged to: Flower's run id (a uint64) as decimal text. Rounds count from 1 in each run. */
  runId: string;
  round: number | null;
  group: string;
  /** replied: the work was done; declined: paused; refused: a bad message; aborted: left mid-task; failed: the work or the push failed. */
  outcome: RoundOutcome;
  /** The metrics sent back (train_loss, train_acc, eval_loss, eval_acc, num-examples), empty when none were. */
  metrics: Record<string, number>;
  seconds: number;
  error: string | null;
}

/** The federation run this party served last. */
export interface ServedRun {
  runId: string;
  /** The highest round of it this party was asked to take part in. */
  lastRound: number | null;
  /** The server said so (GetRun): its rounds are over, though the server may still be up. */
  finished: boolean;
}

export type PartyEvent =
  | PartyState
  /** Something went wrong and the party carries on (a bad message refused, a reply that could not be pushed, a lost connection). */
  | { type: 'error'; message: string }
  | ({ type: 'round' } & RoundSummary)
  /** A note for the operator's log: a round setting clamped, a reconnect, a skipped registration. */
  | { type: 'notice'; message: string }
  /** The run served is another one, or has finished. */
  | ({ type: 'run' } & ServedRun)
  /** An epoch of the round's training finished (the party has written it to its epoch log). */
  | ({ type: 'epoch' } & EpochDone)
  /** A global model was evaluated on the test split (the party has written it to its evaluation log); it never leaves the site. */
  | ({ type: 'evaluation' } & LocalEvaluationResult);

export interface PartyEvents {
  event: [event: PartyEvent];
}
