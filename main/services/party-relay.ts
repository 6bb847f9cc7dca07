// Runs in the services process (plain Node): a party's events and its training thread's progress, turned into the contract's party.* events.
import type { EpochProgress, RoundSummary } from '../../common/contract/party-api.js';
import type { PartyEvent } from '../federation/client/party-events.js';
import type { TrainProgress } from '../engine/train/trainer.js';
import type { EventBus } from './event-bus.js';
import type { PartyHistory } from './party-history.js';
import { contractProgress, finiteOr } from './party-status.js';

/** Batch events at most this often: enough for a live chart, few enough for IPC; the last batch of an epoch always goes. */
const PROGRESS_EVERY_MS = 250;

type Training = Omit<Extract<PartyEvent, { type: 'training' }>, 'type'>;

interface RelayOptions {
  events: EventBus;
  history: PartyHistory;
  /** The party's state moved on (a training batch within the same round does not count): the service announces its status. */
  onStateChange: () => void;
}

/**
 * The party reports run, round, batch and finished epochs but not memory; the training thread reports memory: the relay
 * puts the two together. It never throws back into the party: a payload the contract refuses (a bug) is reported on
 * stderr, and the party carries on serving its rounds.
 */
export class PartyRelay {
  readonly #options: RelayOptions;
  #training: Training | null = null;
  #memory: { rssMb: number; tensors: number } | null = null;
  #lastProgressAt = -Infinity;

  constructor(options: RelayOptions) {
    this.#options = options;
  }

  onPartyEvent = (event: PartyEvent): void => {
    switch (event.type) {
      case 'training':
        return this.#onTraining(event);
      case 'round':
        return this.#onRound(event);
      case 'notice':
        return this.#emit('party.notice', { time: now(), message: event.message });
      case 'error':
        return this.#emit('party.error', { time: now(), message: event.message });
      case 'run':
        return this.#options.onStateChange();
      case 'epoch':
        return this.#onEpoch(event);
      case 'evaluation': {
        const { type: _type, ...evaluation } = event;
        this.#options.history.addEvaluation(evaluation);
        return this.#emit('party.evaluation', evaluation);
      }
      default:
        this.#training = null;
        return this.#options.onStateChange();
    }
  };

  /** The training thread's batches carry its memory, which the party's own progress does not. */
  onRunnerProgress = (event: TrainProgress): void => {
    if (event.type === 'batch') this.#memory = { rssMb: finiteOr(event.memory.rssMb, 0), tensors: event.memory.tensors };
  };

  #onEpoch({ type: _type, ...done }: Extract<PartyEvent, { type: 'epoch' }>): void {
    const epoch: EpochProgress = { kind: 'epoch', ...done };
    this.#options.history.addEpoch(epoch, now());
    this.#emit('party.progress', epoch);
  }

  #onTraining({ type: _type, ...progress }: Extract<PartyEvent, { type: 'training' }>): void {
    const newRound = this.#training === null || this.#training.round !== progress.round;
    this.#training = progress;
    if (newRound) this.#options.onStateChange();
    const at = Date.now();
    const epochDone = progress.batch === progress.batches;
    if (!epochDone && at - this.#lastProgressAt < PROGRESS_EVERY_MS) return;
    this.#lastProgressAt = at;
    this.#emit('party.progress', { kind: 'batch', ...contractProgress(progress), memory: this.#memory });
  }

  #onRound({ type: _type, ...summary }: Extract<PartyEvent, { type: 'round' }>): void {
    const metrics = Object.fromEntries(Object.entries(summary.metrics).filter(([, value]) => Number.isFinite(value)));
    const round: RoundSummary = { ...summary, metrics, seconds: finiteOr(summary.seconds, 0) };
    const at = Date.now();
    this.#options.history.addRound(round, new Date(at).toISOString(), new Date(at - round.seconds * 1000).toISOString());
    this.#emit('party.round', round);
    // The run's last round moved on: a page showing the round between tasks (paused, idle) reads it from the status.
    this.#options.onStateChange();
  }

  #emit: EventBus['emit'] = (event, payload) => {
    try {
      this.#options.events.emit(event, payload);
    } catch (error) {
      console.error(`tributary services: ${event} not sent, its payload is outside the contract: ${(error as Error).message}`);
    }
  };
}

function now(): string {
  return new Date().toISOString();
}
