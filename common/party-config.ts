// Runs anywhere (the contract): the whole party config file: its data, its model, how it trains locally, and its federation.
import { z } from 'zod';
import { DataSectionSchema } from './data-config.js';
import { FederationSectionSchema } from './federation-config.js';
import { ModelSectionSchema } from './model-config.js';
import { PrivacySectionSchema } from './privacy-config.js';
import { ReviewSectionSchema } from './review-config.js';
import { ScheduleSectionSchema } from './schedule-config.js';
import { TrainingSectionSchema } from './training-config.js';

/**
 * `model:` may be left out: scanning and previewing a dataset need no model, and a federation may offer one. Training
 * without either is refused where it starts. `training:` may be left out too: its keys all have defaults. `federation:`
 * is needed only to join one.
 */
export const PartyConfigSchema = z.strictObject({
  data: DataSectionSchema,
  model: ModelSectionSchema.optional(),
  training: TrainingSectionSchema.prefault({}),
  federation: FederationSectionSchema.optional(),
  /** The site's privacy policy; absent: updates leave as trained, and every round within `federation.bounds` is served. */
  privacy: PrivacySectionSchema.optional(),
  /** Task review; absent: off, so configs written before it serve as they did (`tributary init` writes `mode: ask`). */
  review: ReviewSectionSchema.optional(),
  /** When the site takes part; absent: at any time. */
  schedule: ScheduleSectionSchema.optional(),
});
export type PartyConfig = z.infer<typeof PartyConfigSchema>;
