// Runs in the services process (plain Node): task review through the contract: the joined party's waiting task and runs decided, approve or decline.
import type { ArgsOf, ResultIn } from '../../common/contract/contract.js';
import type { ReviewStatus } from '../../common/contract/review-api.js';
import type { TaskReview } from '../federation/client/task-review.js';
import type { EventBus } from './event-bus.js';
import { ServiceError } from './service-errors.js';

const NOT_JOINED: ReviewStatus = { mode: null, bounds: null, pending: null, decisions: [], problem: null };

/** `joined`: the joined party's task review (undefined when its config has review off), null when no party is joined. */
export class ReviewService {
  constructor(
    private readonly events: EventBus,
    private readonly joined: () => TaskReview | undefined | null,
  ) {}

  status = async (): Promise<ResultIn<'party.review'>> => reviewStatus(this.joined());

  decide = async ({ runId, approve, reason }: ArgsOf<'party.decideTask'>): Promise<ResultIn<'party.decideTask'>> => {
    const review = this.joined();
    if (review === null) throw new ServiceError('failed', 'no party is joined: a run is approved or declined by the party that serves it');
    if (review === undefined)
      throw new ServiceError('failed', "the joined party's config has task review off (no `review:` section, or `mode: off`)");
    await review.decide(runId, approve, reason);
    return reviewStatus(review);
  };

  /** A joined party's review: every change is told to the UI. */
  watch(review: TaskReview): void {
    review.on('changed', () => {
      reviewStatus(review)
        .then((status) => this.events.emit('party.reviewChanged', status))
        .catch((error: unknown) => console.error(`tributary services: task review status not sent: ${(error as Error).message}`));
    });
  }
}

async function reviewStatus(review: TaskReview | undefined | null): Promise<ReviewStatus> {
  if (review === null) return NOT_JOINED;
  if (review === undefined) return { ...NOT_JOINED, mode: 'off' };
  return review.view();
}
