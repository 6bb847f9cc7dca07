// Runs in the renderer: the run being watched: the latest batch, and the points the charts and the rounds table draw, capped so a long run stays cheap.
import type { PayloadOf } from '../../../common/contract/contract.js';
import type { EpochProgress, PartyStatus, RoundSummary } from '../../../common/contract/party-api.js';
import { api } from '../../lib/api.js';

export type BatchProgress = Extract<PayloadOf<'party.progress'>, { kind: 'batch' }>;

export interface BatchPoint {
  /** Counts batch events since the run began: the per-batch chart's x. */
  seq: number;
  loss: number | null;
  acc: number | null;
}

/** A chart of a few hundred points redraws in well under a frame; older batches are in the epoch and round charts. */
const BATCH_POINTS = 300;
const EPOCHS_KEPT = 300;

class TrainingStore {
  latest = $state.raw<BatchProgress | null>(null);
  batches = $state.raw<BatchPoint[]>([]);
  epochs = $state.raw<EpochProgress[]>([]);
  rounds = $state.raw<RoundSummary[]>([]);

  #seq = 0;
  #stage: PartyStatus['stage'] = 'out';

  /** What the run did before this page was listening (a reload, a restart of the window). */
  load = async (): Promise<void> => {
    const history = await api.party.history();
    if (!history.ok) return;
    this.epochs = history.value.epochs.slice(-EPOCHS_KEPT);
    this.rounds = history.value.rounds;
  };

  onProgress = (progress: PayloadOf<'party.progress'>): void => {
    if (progress.kind === 'epoch') {
      this.epochs = [...this.epochs, progress].slice(-EPOCHS_KEPT);
      return;
    }
    this.latest = progress;
    this.batches = [...this.batches, { seq: ++this.#seq, loss: progress.loss, acc: progress.acc }].slice(-BATCH_POINTS);
  };

  onRound = (round: RoundSummary): void => {
    this.rounds = [...this.rounds, round];
  };

  /** A new join is a new run: the services start its history afresh, and so do the charts. */
  onState = (status: PartyStatus): void => {
    if (status.stage === 'joining' && this.#stage !== 'joining') {
      this.latest = null;
      this.batches = this.epochs = this.rounds = [];
      this.#seq = 0;
    }
    this.#stage = status.stage;
  };
}

export const trainingStore = new TrainingStore();
