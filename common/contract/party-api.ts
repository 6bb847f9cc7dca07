// Runs anywhere (the contract): take part in the config's federation (join, pause, resume, leave), keep its node key,
// and watch it: state, training progress, rounds, the audit log.
import { z } from 'zod';
import { ConfigFileSchema } from './config-api.js';
import { event, method } from './define.js';
import { LocalEvaluationSchema } from './evaluation-api.js';
import { ReviewAuditSchema } from './review-api.js';
import { ResourceLimitsSchema, ScheduleStatusSchema } from './schedule-api.js';

const count = z.number().int().nonnegative();
const round = z.number().int().nullable().describe("the server's round number; null when a message carried none");
/** Rounds count from 1 again in each run: a round is known by its run and its number. */
const RunIdSchema = z
  .string()
  .regex(/^\d{1,20}$/, "a run id: Flower's uint64 as decimal text")
  .describe("the federation run (Flower's run id) a message belonged to");
/** Running means and rates are null (a metric) or 0 (a rate) until there is something to average. */
const metric = z.number().nullable();

const TrainingProgressSchema = z.object({
  runId: RunIdSchema.nullable(),
  round,
  epoch: count,
  epochs: count,
  batch: count,
  batches: count,
  loss: metric.describe('running mean over the epoch so far'),
  acc: metric.describe('running mean over the epoch so far; null when the model reports no accuracy'),
  samplesPerSec: z.number().nonnegative(),
  etaSec: z.number().nonnegative().describe("until the round's training is done"),
});

/** What the party is doing at the server; it is always in exactly one of these. */
const PartyStateSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('disconnected'), reason: z.string().nullable() }),
  z.object({
    type: z.literal('connecting'),
    attempt: count,
    lastError: z.string().nullable(),
    refused: z.boolean().describe('the server answered the last try with a refusal, rather than not being reached'),
    retryInMs: count.nullable(),
  }),
  z.object({ type: z.literal('idle'), nodeId: z.string() }),
  z.object({ type: z.literal('training'), ...TrainingProgressSchema.shape }),
  z.object({ type: z.literal('evaluating'), round }),
  z.object({ type: z.literal('paused'), nodeId: z.string() }),
  z.object({
    type: z.literal('reviewing'),
    runId: RunIdSchema,
    round,
    deadline: z.string().describe("ISO-8601, UTC: the run's first message waits for the operator's approval until then (task review)"),
  }),
]);
export type PartyState = z.infer<typeof PartyStateSchema>;

const STAGES = ['out', 'joining', 'joined', 'leaving'] as const;
export type PartyStage = (typeof STAGES)[number];

const positive = z.number().positive();

/** What the audit line of a sent update says about its privacy (the party's PrivacyAudit). */
export const PrivacyAuditSchema = z.object({
  clippingNorm: positive.nullable().describe('the L2 norm the update was held to; null when it was not clipped'),
  clippingNormFrom: z.enum(['site', 'server']).nullable().describe("whose norm held: the site policy's, or the server's smaller one"),
  scaledDown: z.boolean().describe('the update was longer than the norm and was scaled down to it'),
  noised: z.boolean().describe('local-DP Gaussian noise was added; the fields below are there only then'),
  masked: z.literal(true).optional().describe("the update left masked by SecAgg+: the server sees only the round's sum"),
  epsilon: positive.optional(),
  delta: positive.optional(),
  sensitivity: positive.optional(),
  noiseStd: positive.optional(),
  roundEpsilon: z.number().nonnegative().optional().describe("this update's exact epsilon at delta"),
  epsilonSpent: z.number().nonnegative().optional().describe("the run's epsilon after this update"),
  deltaSpent: z.number().nonnegative().optional(),
  epsilonBudget: positive.nullable().optional().describe('max_total_epsilon; null when the policy sets none'),
  accountant: z.enum(['gaussian', 'basic']).optional(),
});
export type PrivacyAuditView = z.infer<typeof PrivacyAuditSchema>;

/** The joined party's privacy policy (the config's `privacy:` section) and what its run has spent. */
const PrivacyStatusSchema = z.object({
  requireSecureAggregation: z.boolean(),
  minPartiesPerRound: count.nullable(),
  localDp: z
    .object({ clippingNorm: positive, epsilon: positive, delta: positive, sensitivity: positive, noiseStd: positive })
    .nullable()
    .describe('per round; null: updates leave without noise'),
  clippingNorm: positive.nullable().describe('clipping without noise, for server-side DP; null when local_dp clips, or nothing does'),
  maxTotalEpsilon: positive.nullable(),
  accountant: z.enum(['gaussian', 'basic']),
  serverMaySet: z.object({
    learningRate: z.object({ min: positive, max: positive }).nullable(),
    maxEpochs: count.nullable(),
    batchSizes: z.array(count).nullable(),
  }),
  spent: z
    .object({ runId: RunIdSchema, epsilon: z.number().nonnegative(), delta: z.number().nonnegative(), rounds: count })
    .nullable()
    .describe("the run's local-DP epsilon so far (at the policy's delta); null before this run's first train message, or without local_dp"),
});
export type PrivacyStatus = z.infer<typeof PrivacyStatusSchema>;

const PartyStatusSchema = z.object({
  stage: z
    .enum(STAGES)
    .describe(
      'out: in no federation; joining: opening the training thread and the node key; joined: serving rounds (`state` says how); ' +
        'leaving: finishing or aborting the task in hand, then saying goodbye',
    ),
  state: PartyStateSchema,
  pauseRequested: z.boolean().describe('the operator paused: messages are declined once the task in hand is done'),
  leaving: z.object({ finish: z.boolean() }).nullable(),
  run: z
    .object({
      runId: RunIdSchema,
      lastRound: round.describe('the highest round of it this site was asked to take part in'),
      finished: z.boolean().describe('the server said so (GetRun): its rounds are over, and the server may close'),
    })
    .nullable()
    .describe('the federation run the party served last; null before its first message'),
  file: z.string().nullable().describe('the config joined (or last joined)'),
  node: z.object({ keyFile: z.string(), fingerprint: z.string().nullable() }).nullable(),
  federation: z
    .object({
      server: z.string(),
      transport: z.enum(['grpc', 'rest']),
      insecure: z.boolean(),
      rootCa: z.string().nullable(),
      auditLog: z.string(),
    })
    .nullable(),
  backend: z.object({ name: z.string(), description: z.string(), warning: z.string().optional() }).nullable(),
  model: z
    .object({
      name: z.string(),
      parameters: count,
      classes: count,
      sampleShape: z.object({ depth: count.optional().describe('set for volumes'), height: count, width: count, channels: count }),
      samples: z.object({ train: count.nullable(), test: count.nullable() }),
    })
    .nullable(),
  privacy: PrivacyStatusSchema.optional().describe('the privacy policy the joined party enforces; absent when no party is joined'),
  schedule: ScheduleStatusSchema.optional().describe('when the joined party takes part; absent: at any time, or no party is joined'),
  limits: ResourceLimitsSchema.optional().describe('how much of the machine the joined party trains with; absent when no party is joined'),
});
export type PartyStatus = z.infer<typeof PartyStatusSchema>;

const RoundSummarySchema = z.object({
  messageType: z.string().describe('train, evaluate, or another message type the server sent'),
  runId: RunIdSchema,
  round,
  group: z.string(),
  outcome: z
    .enum(['replied', 'declined', 'refused', 'aborted', 'failed'])
    .describe(
      'replied: the work was done; declined: paused or leaving; refused: a bad message; aborted: left mid-task; failed: the work or the reply failed',
    ),
  metrics: z
    .record(z.string(), z.number())
    .describe('what went back: train_loss, train_acc, eval_loss, eval_acc (the global model on local data), num-examples'),
  seconds: z.number().nonnegative(),
  error: z.string().nullable(),
});
export type RoundSummary = z.infer<typeof RoundSummarySchema>;

const BatchProgressSchema = TrainingProgressSchema.extend({
  kind: z.literal('batch'),
  memory: z
    .object({ rssMb: z.number().nonnegative(), tensors: count })
    .nullable()
    .describe('of the services process and its training thread'),
});
const EpochProgressSchema = z.object({
  kind: z.literal('epoch'),
  runId: RunIdSchema.nullable(),
  round,
  epoch: count,
  epochs: count,
  loss: metric,
  acc: metric,
  samples: count,
  seconds: z.number().nonnegative(),
  samplesPerSec: z.number().nonnegative(),
});
export type EpochProgress = z.infer<typeof EpochProgressSchema>;

const RunSummarySchema = z.object({
  runId: RunIdSchema,
  startedAt: z.string().describe("ISO-8601, UTC: when this site received the run's first message (of those read)"),
  lastAt: z.string().describe('ISO-8601, UTC: its last message handled'),
  rounds: count.describe('rounds this site was asked to take part in (trained, evaluated, declined or failed)'),
  lastRound: round,
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

const RunHistorySchema = z.object({
  runId: RunIdSchema,
  rounds: z.array(RoundSummarySchema).describe('oldest first'),
  epochs: z.array(EpochProgressSchema).describe('oldest first'),
  evaluations: z.array(LocalEvaluationSchema).describe('the global model on the test split, by round, oldest first; kept on site'),
});
export type RunHistory = z.infer<typeof RunHistorySchema>;

const AuditValueSchema = z.union([z.number(), z.string(), z.boolean(), z.array(z.union([z.number(), z.string(), z.boolean()]))]);

const AuditEntrySchema = z.object({
  time: z.string().describe('ISO-8601, UTC'),
  direction: z.enum(['received', 'sent']),
  messageType: z.string(),
  round,
  group: z.string(),
  messageId: z.string(),
  replyTo: z.string().nullable(),
  arrays: z
    .array(z.object({ record: z.string(), name: z.string(), dtype: z.string(), shape: z.array(count), bytes: count }))
    .describe('described, never copied'),
  values: z.record(z.string(), AuditValueSchema).describe('metrics and config values by `record.key`'),
  bytes: count.describe('bytes that crossed the wire'),
  cachedBytes: count
    .nullable()
    .optional()
    .describe(
      'on a received line: bytes of objects reused from the message before instead of downloaded; absent on sent lines and in older logs',
    ),
  error: z.string().nullable(),
  outcome: z
    .enum(['replied', 'declined', 'refused', 'aborted', 'failed'])
    .optional()
    .describe('on a sent line: what became of the message'),
  privacy: PrivacyAuditSchema.optional().describe('on a sent train line whose update was clipped, noised or masked'),
  review: ReviewAuditSchema.optional().describe(
    "on a task review line: the message's run waits for the operator, or was approved or declined",
  ),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

const FingerprintSchema = z
  .string()
  .regex(/^[0-9a-f]{4}(-[0-9a-f]{4}){3}$/, 'a node key fingerprint, e.g. 3fa2-91c0-77de-0b14')
  .describe('the first 8 bytes of SHA-256 over the public key (DER), as the party prints it');

export const NodeKeySchema = z.object({
  keyFile: z
    .string()
    .nullable()
    .describe(
      "the config's key_file, resolved: the file, or the name the sealed key is kept under; null when the config has no `federation:` section",
    ),
  fingerprint: FingerprintSchema.nullable(),
  problem: z.string().nullable().describe('why a key that is there cannot be used'),
  storage: z
    .enum(['keychain', 'file'])
    .nullable()
    .describe(
      "keychain: sealed by this computer's keychain in the desktop app's settings; file: the key file (mode 0600). null without a `federation:` section",
    ),
  storageNote: z.string().nullable().describe('one sentence for the operator: where the key is kept, and why there'),
  publicKey: z.string().nullable().describe('the public key as PEM (SubjectPublicKeyInfo); null without a usable key'),
  publicKeySsh: z
    .string()
    .nullable()
    .describe('the same key in OpenSSH form (`ecdsa-sha2-nistp384 …`): what `flwr supernode register` reads'),
  publicKeyFile: z.string().nullable().describe('where party.savePublicKey writes it: beside the config, named after key_file with `.pub`'),
});
export type NodeKey = z.infer<typeof NodeKeySchema>;

const note = z.object({ time: z.string().describe('ISO-8601, UTC'), message: z.string() });

export const partyMethods = {
  'party.join': method({
    summary: "open the training thread on a saved config and join its `federation:` section's server; refused while a party is joined",
    args: z.object({ file: ConfigFileSchema }),
    result: PartyStatusSchema,
  }),
  'party.pause': method({
    summary: 'stay connected and decline work, so rounds go on without this site; the task in hand finishes first',
    args: z.object({}),
    result: PartyStatusSchema,
  }),
  'party.resume': method({
    summary: 'take work again after a pause',
    args: z.object({}),
    result: PartyStatusSchema,
  }),
  'party.leave': method({
    summary: 'leave the federation: finish the task in hand and send its reply, or abort it within a batch; resolves once left',
    args: z.object({
      finish: z.boolean().describe('true: after the task in hand; false: now (a second call may turn a finishing leave into this)'),
    }),
    result: PartyStatusSchema,
  }),
  'party.status': method({
    summary: 'where the party stands: stage and state, node key, server, backend, model',
    args: z.object({}),
    result: PartyStatusSchema,
  }),
  'party.history': method({
    summary:
      'the federation runs this site took part in, and one run in full (its round summaries and finished epochs), ' +
      "as the audit log and the party's epoch log on disk hold them: a page opened late, or after a restart, draws the whole run",
    args: z.object({
      file: ConfigFileSchema.optional().describe(
        "the config whose history to read; by default the joined (or last joined) party's, else the open config's",
      ),
      runId: RunIdSchema.optional().describe('the run to give in full; the newest by default'),
    }),
    result: z.object({
      runs: z.array(RunSummarySchema).describe('oldest first; the newest runs only, when there are more than the history keeps'),
      run: RunHistorySchema.nullable().describe('the run asked for (else the newest); null when there is none'),
      unreadableLines: count.describe('lines read that could not be used: torn by a crash, edited, or without a run id'),
    }),
  }),
  'party.nodeKey': method({
    summary:
      'the node key joining a config would use: its fingerprint and public key (null before one is created) and where it is kept; never creates one',
    args: z.object({ file: ConfigFileSchema }),
    result: NodeKeySchema,
  }),
  'party.createNodeKey': method({
    summary:
      "create the config's node key without joining, kept where a join keeps it, " +
      'so its public key can be registered first (`register: false`); refused when there is one, or while the party is in a federation',
    args: z.object({ file: ConfigFileSchema }),
    result: NodeKeySchema,
  }),
  'party.savePublicKey': method({
    summary:
      "write the node key's public half (OpenSSH form, as `flwr supernode register` reads it) beside the config; " +
      'a different file already there is kept unless `overwrite`',
    args: z.object({
      file: ConfigFileSchema,
      overwrite: z
        .boolean()
        .default(false)
        .describe('replace a file there that holds something else (the public key of an earlier key, say)'),
    }),
    result: z.object({
      publicKeyFile: z.string().describe('absolute path'),
      fingerprint: FingerprintSchema,
      outcome: z
        .enum(['written', 'replaced', 'unchanged', 'kept'])
        .describe(
          'written: a new file; replaced: overwrite asked for it; unchanged: the file already held this key; kept: another file is there and was left alone',
        ),
    }),
  }),
  'party.resetNodeKey': method({
    summary:
      'delete the node key (sealed or key file), so the next join makes a new one and the server knows this site as a new node; ' +
      'refused while the party is in a federation',
    args: z.object({
      file: ConfigFileSchema,
      fingerprint: FingerprintSchema.nullable().describe(
        'the key the operator confirmed deleting (null: a key that cannot be read); refused when the key is another by now',
      ),
    }),
    result: z.object({
      removed: z.string().describe('what was deleted, in words: the file, or the sealed key, and the public key file saved for it'),
      nodeKey: NodeKeySchema,
    }),
  }),
  'party.audit': method({
    summary: 'the audit log ("what left this site"): every message received and sent, newest last',
    args: z.object({
      file: ConfigFileSchema.optional().describe(
        "the config whose `audit_log` to read; by default the joined (or last joined) party's, else the open config's",
      ),
      last: z.number().int().min(1).max(2000).default(200),
    }),
    result: z.object({
      auditLog: z
        .string()
        .nullable()
        .describe('null when there is no federation to read the log of (no config, or one without `federation:`)'),
      entries: z.array(AuditEntrySchema),
      unreadableLines: count.describe('lines read that were not entries: one torn by a crash mid-write, or an edited line'),
    }),
  }),
};

export const partyEvents = {
  'party.state': event({
    summary: 'the stage or the state changed (not every training batch: see party.progress)',
    payload: PartyStatusSchema,
  }),
  'party.progress': event({
    summary: 'training progress: a batch (a few times a second at most, the last of each epoch always) or a finished epoch',
    payload: z.discriminatedUnion('kind', [BatchProgressSchema, EpochProgressSchema]),
  }),
  'party.round': event({
    summary: 'a message from the server was handled: what was asked, what went back, how long it took',
    payload: RoundSummarySchema,
  }),
  'party.notice': event({
    summary: 'a note for the operator: joined as node N, a round setting clamped, a reconnect, a key retired',
    payload: note,
  }),
  'party.error': event({
    summary: 'something went wrong and the party carries on (or, if it cannot, leaves and says so)',
    payload: note,
  }),
};
