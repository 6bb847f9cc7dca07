// Runs anywhere (the contract): the schema of a party config's `federation:` section: where the aggregator is, how to reach it, what a round may ask.
import { z } from 'zod';
import { fleetAddressProblem } from './fleet-address.js';
import { CertificateFingerprintSchema } from './invitation.js';

/** Flower's SuperLink refuses heartbeat intervals outside 10..1800 s (HEARTBEAT_MIN_INTERVAL, HEARTBEAT_MAX_INTERVAL). */
export const HEARTBEAT_INTERVAL_RANGE = { min: 10, max: 1800 } as const;

/** A min..max pair with defaults; min above max is refused. */
const range = (value: () => z.ZodNumber, defaults: { min: number; max: number }) =>
  z
    .strictObject({ min: value().default(defaults.min), max: value().default(defaults.max) })
    .refine((r) => r.min <= r.max, { message: '`min` must not be above `max`' })
    .prefault({});

/** What a round's config may ask of this site; the operator's limits win over the federation's wishes. */
export const RoundBoundsSchema = z
  .strictObject({
    epochs: z.strictObject({ max: z.number().int().min(1).default(10).describe('most local epochs one round may ask for') }).prefault({}),
    learning_rate: range(() => z.number().positive(), { min: 1e-6, max: 1 }),
    batch_size: range(() => z.number().int().min(1), { min: 1, max: 1024 }),
    out_of_bounds: z
      .enum(['clamp', 'refuse'])
      .default('clamp')
      .describe('clamp: train with the nearest allowed value; refuse: answer the round with an error and sit it out'),
  })
  .prefault({});

export const FederationSectionSchema = z
  .strictObject({
    server: z
      .string()
      .min(1)
      .describe("the aggregator's Fleet API: host:port (gRPC, Flower's default port 9092) or http(s)://host:port (REST, 9095)"),
    transport: z.enum(['grpc', 'rest']).default('grpc'),
    root_ca: z.string().min(1).optional().describe('PEM file of the CA that signed the server certificate, relative to the config file'),
    ca_sha256: CertificateFingerprintSchema.optional().describe(
      "the CA pinned by an invitation (SHA-256, AB:CD:…): root_ca must be that certificate, and the server's chain must lead to it",
    ),
    insecure: z.boolean().default(false).describe('plain text, no TLS: only for a test federation on a trusted network'),
    key_file: z
      .string()
      .min(1)
      .default('node-key.pem')
      .describe("the node's private key, relative to the config file; created on first join, kept so a restarted party is the same node"),
    heartbeat_interval: z
      .number()
      .min(HEARTBEAT_INTERVAL_RANGE.min)
      .max(HEARTBEAT_INTERVAL_RANGE.max)
      .default(30)
      .describe('seconds; the server drops a node silent for twice this'),
    poll_interval: z.number().positive().max(600).default(3).describe('seconds between asking for work when there is none'),
    register: z.boolean().default(true).describe('false when the server manages node keys (flower-superlink --enable-supernode-auth)'),
    local_epochs: z.number().int().min(1).default(1).describe("epochs per round when the round's config names none"),
    bounds: RoundBoundsSchema,
    max_message_mb: z
      .number()
      .int()
      .min(1)
      .max(2047)
      .default(1024)
      .describe(
        'MiB one message from the server may weigh at most; below that, a message is refused when it is bigger than this model could need',
      ),
    audit_log: z
      .string()
      .min(1)
      .default('federation-audit.jsonl')
      .describe('JSON lines, one per message received or sent, relative to the config file'),
  })
  .refine((section) => !(section.insecure && section.root_ca !== undefined), {
    message: 'set either `insecure: true` or `root_ca`, not both',
    path: ['insecure'],
  })
  .refine((section) => !(section.insecure && section.ca_sha256 !== undefined), {
    message: 'set either `insecure: true` or `ca_sha256`, not both: a pinned CA needs TLS',
    path: ['insecure'],
  })
  .superRefine((section, context) => {
    // The transports' own rule, checked when the config loads rather than when the party first connects.
    const problem = fleetAddressProblem(section.transport, section.server, section.insecure);
    if (problem) context.addIssue({ code: 'custom', path: ['server'], message: problem });
  });

export type FederationSection = z.infer<typeof FederationSectionSchema>;
export type FederationSectionInput = z.input<typeof FederationSectionSchema>;
export type RoundBounds = z.infer<typeof RoundBoundsSchema>;
