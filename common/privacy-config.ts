// Runs anywhere (the contract): the schema of a party config's `privacy:` section: the site's privacy policy, which the party enforces on every round.
import { z } from 'zod';

const positive = (what: string) => z.number().positive().finite().describe(what);

/** Local differential privacy as Flower's LocalDpMod: clip the update's L2 norm, add Gaussian noise calibrated to (epsilon, delta). */
export const LocalDpSchema = z
  .strictObject({
    clipping_norm: positive("the L2 norm a round's whole update (new weights minus the server's) is scaled down to, across all arrays"),
    epsilon: positive("per round: the noise is set by Flower's formula sigma = sensitivity * sqrt(2 ln(1.25 / delta)) / epsilon"),
    delta: z.number().positive().lt(1).describe('per round, and the delta at which the run total is reported and held to the budget'),
    sensitivity: positive(
      'L2 sensitivity the noise is calibrated to; default twice clipping_norm (any two clipped updates differ by at most that). ' +
        'Flower examples often set it to clipping_norm, which protects only against telling an update from no update',
    ).optional(),
  })
  .transform((dp) => ({ ...dp, sensitivity: dp.sensitivity ?? 2 * dp.clipping_norm }));

/** Bounds on what a round's config may ask (learning rate, local epochs, batch size): the privacy policy's, and task review's. */
export const ServerSettingsBoundsSchema = z.strictObject({
  learning_rate: z
    .strictObject({
      min: positive('lowest learning rate a round may ask for'),
      max: positive('highest learning rate a round may ask for'),
    })
    .refine((r) => r.min <= r.max, { message: '`min` must not be above `max`' })
    .optional()
    .describe('absent: any learning rate the federation bounds allow'),
  max_epochs: z.number().int().min(1).optional().describe('most local epochs a round may ask for; absent: any the federation bounds allow'),
  batch_sizes: z
    .array(z.number().int().min(1))
    .min(1)
    .optional()
    .describe('the only batch sizes a round may ask for; absent: any the federation bounds allow'),
});

/** Which config keys the server may set in a round, and to what; a round asking for more is declined. */
export const ServerMaySetSchema = ServerSettingsBoundsSchema.prefault({});

export const PrivacySectionSchema = z
  .strictObject({
    require_secure_aggregation: z
      .boolean()
      .default(false)
      .describe('true: decline every round whose update the server would read on its own (a plain train message, not SecAgg+)'),
    min_parties_per_round: z
      .number()
      .int()
      .min(2)
      .optional()
      .describe("decline a secure-aggregation round among fewer parties (SecAgg+'s setup names them; a plain message does not)"),
    local_dp: LocalDpSchema.optional(),
    clipping_norm: positive(
      "without local_dp: clip each update's L2 norm to this (for server-side DP); the server's clipping_norm is used when smaller",
    ).optional(),
    max_total_epsilon: positive("decline rounds once the run's local-DP epsilon would pass this (needs local_dp)").optional(),
    accountant: z
      .enum(['gaussian', 'basic'])
      .default('gaussian')
      .describe(
        "gaussian: the run's rounds composed exactly as one Gaussian mechanism (Gaussian DP); basic: the per-round epsilons added up",
      ),
    server_may_set: ServerMaySetSchema,
  })
  .superRefine((section, context) => {
    const problem = (path: string, message: string) => context.addIssue({ code: 'custom', path: [path], message });
    if (section.local_dp && section.clipping_norm !== undefined)
      problem('clipping_norm', 'set `clipping_norm` inside `local_dp`, or alone for server-side DP, not both');
    if (section.max_total_epsilon !== undefined && !section.local_dp)
      problem('max_total_epsilon', 'needs `local_dp`: an update sent without noise has no finite epsilon to count');
    if (section.min_parties_per_round !== undefined && !section.require_secure_aggregation)
      problem(
        'min_parties_per_round',
        'needs `require_secure_aggregation: true`: only secure aggregation tells the party how many take part, ' +
          'and without it the server sees each update anyway',
      );
  });

export type PrivacySection = z.infer<typeof PrivacySectionSchema>;
export type PrivacySectionInput = z.input<typeof PrivacySectionSchema>;
export type LocalDp = z.infer<typeof LocalDpSchema>;
export type ServerSettingsBounds = z.infer<typeof ServerSettingsBoundsSchema>;
