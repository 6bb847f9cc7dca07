// Runs in the renderer: task review as the Federation page sees it: the task waiting for approval, the runs decided, and the operator's answer.
import type { ContractError } from '../../../common/contract/envelope.js';
import type { ReviewStatus } from '../../../common/contract/review-api.js';
import { api } from '../../lib/api.js';

const NONE: ReviewStatus = { mode: null, bounds: null, pending: null, decisions: [], problem: null };

class ReviewStore {
  status = $state<ReviewStatus>(NONE);
  /** The run whose answer is on its way. */
  busy = $state<string | null>(null);
  failure = $state<ContractError | null>(null);

  refresh = async (): Promise<void> => {
    const status = await api.party.review();
    if (status.ok) this.status = status.value;
  };

  onChanged = (status: ReviewStatus): void => {
    this.status = status;
  };

  decide = async (runId: string, approve: boolean, reason: string): Promise<void> => {
    this.busy = runId;
    this.failure = null;
    const result = await api.party.decideTask({ runId, approve, ...(!approve && reason.trim() && { reason: reason.trim() }) });
    this.busy = null;
    if (result.ok) this.status = result.value;
    else this.failure = result.error;
  };
}

export const reviewStore = new ReviewStore();
