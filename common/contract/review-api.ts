// Runs anywhere (the contract): task review: what a federation run asks of this site, the operator's approval or decline, and the runs decided.
import { z } from 'zod';
import { REVIEW_MODES, ReviewBoundsSchema } from '../review-config.js';
import { event, method } from './define.js';

const count = z.number().int().nonnegative();
const RunId = z.string().regex(/^\d{1,20}$/, "a run id: Flower's uint64 as decimal text");
const MAX_REASON_CHARS = 500;

export const TaskSummarySchema = z.object({
  runId: RunId,
  messageType: z.enum(['train', 'evaluate']).describe("the run's first message that asked for work on local data"),
  round: z.number().int().nullable(),
  rounds: count.nullable().describe("the run's rounds, when the server's config says (num-server-rounds); null: not said"),
  model: z.object({
    name: z.string().nullable().describe("the site's model the weights are trained into"),
    arrays: count,
    parameters: count.describe('in the weights the server sent'),
  }),
  localEpochs: count.nullable().describe('per round; null for an evaluate task'),
  learningRate: z.number().nullable(),
  batchSize: count.nullable(),
  setByServer: z.array(z.string()).describe("which settings the server's config sets; the others are the site's own"),
  sends: z.array(z.string()).describe('what goes back to the server when the task is served'),
});
export type TaskSummaryView = z.infer<typeof TaskSummarySchema>;

const RunDecisionSchema = z.object({
  runId: RunId,
  decision: z.enum(['approved', 'declined']),
  by: z.enum(['operator', 'bounds']).describe('operator: by hand (the app, or `tributary approve`); bounds: within the review bounds'),
  reason: z.string().nullable().describe("a decline's reason, as the server's error reply carries it"),
  at: z.string().describe('ISO-8601, UTC'),
  task: TaskSummarySchema.nullable().describe('null when decided ahead of the run'),
});
export type RunDecisionView = z.infer<typeof RunDecisionSchema>;

/** What the audit log says of a message's review (the party's ReviewAudit). */
export const ReviewAuditSchema = z.object({
  state: z.enum(['waiting', 'approved', 'declined']),
  by: z.enum(['operator', 'bounds', 'timeout', 'cancelled']).nullable(),
  reason: z.string().nullable(),
  task: TaskSummarySchema.optional(),
});

const ReviewStatusSchema = z.object({
  mode: z
    .enum(REVIEW_MODES)
    .nullable()
    .describe("the joined party's `review: mode` (off when the config has no `review:`); null when no party is joined"),
  bounds: ReviewBoundsSchema.nullable(),
  pending: z
    .object({
      task: TaskSummarySchema,
      outside: z.string().nullable().describe('auto_within_bounds: the bound it is outside, so it was not approved without asking'),
      since: z.string(),
      deadline: z.string().describe('ISO-8601, UTC: declined as not approved in time after this'),
    })
    .nullable(),
  decisions: z.array(RunDecisionSchema).describe('newest first'),
  problem: z.string().nullable().describe('why the decisions file cannot be read; nothing in it counts as approved then'),
});
export type ReviewStatus = z.infer<typeof ReviewStatusSchema>;

export const reviewMethods = {
  'party.review': method({
    summary: "the joined party's task review: its mode and bounds, the task waiting for approval, and the runs decided",
    args: z.object({}),
    result: ReviewStatusSchema,
  }),
  'party.decideTask': method({
    summary: "approve or decline a run's task (the one waiting, or another ahead of time); remembered across restarts",
    args: z.object({
      runId: RunId,
      approve: z.boolean(),
      reason: z.string().max(MAX_REASON_CHARS).optional().describe("a decline's reason: the server's error reply carries it"),
    }),
    result: ReviewStatusSchema,
  }),
};

export const reviewEvents = {
  'party.reviewChanged': event({
    summary: 'a task began or stopped waiting for approval, or a run was approved or declined',
    payload: ReviewStatusSchema,
  }),
};
