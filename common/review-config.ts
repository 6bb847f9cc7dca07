// Runs anywhere (the contract): the schema of a party config's `review:` section: whether the operator approves a run's task before this site trains.
import { z } from 'zod';
import { ServerSettingsBoundsSchema } from './privacy-config.js';

export const REVIEW_MODES = ['ask', 'auto_within_bounds', 'off'] as const;
export type ReviewMode = (typeof REVIEW_MODES)[number];

/**
 * Within these a run is approved without asking. The round settings are the privacy policy's `server_may_set` bounds
 * (same keys, same check); a run's model size and length are task review's own.
 */
export const ReviewBoundsSchema = ServerSettingsBoundsSchema.extend({
  max_parameters: z.number().int().min(1).optional().describe('most parameters (weights) the model the server sends may have'),
  max_rounds: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('most rounds the run may have: a run whose server says more is asked about, and a round past it is declined'),
});

export const ReviewSectionSchema = z
  .strictObject({
    mode: z
      .enum(REVIEW_MODES)
      .default('ask')
      .describe(
        "ask: the operator approves or declines each run's task before this site trains for it; auto_within_bounds: approved " +
          'without asking when it is within `bounds`, asked about otherwise; off: every run is served',
      ),
    bounds: ReviewBoundsSchema.prefault({}),
    max_wait: z
      .number()
      .positive()
      .max(43_200)
      .optional()
      .describe("seconds a message waits for the operator's answer; absent: until the message expires (its TTL)"),
  })
  .superRefine((section, context) => {
    const bounded = Object.values(section.bounds).some((bound) => bound !== undefined);
    if (section.mode === 'auto_within_bounds' && !bounded)
      context.addIssue({
        code: 'custom',
        path: ['bounds'],
        message: 'auto_within_bounds needs at least one bound (with none, every run would be approved: say `mode: off` instead)',
      });
  });

export type ReviewSection = z.infer<typeof ReviewSectionSchema>;
export type ReviewBounds = z.infer<typeof ReviewBoundsSchema>;
