// Tests (Node): the `federation:` section's schema: defaults, Flower's heartbeat range, TLS choices, round bounds.
import { describe, expect, it } from 'vitest';
import { FederationSectionSchema } from '../../../../common/federation-config.js';

const issues = (input: unknown) =>
  FederationSectionSchema.safeParse(input).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];

describe('FederationSectionSchema', () => {
  it('fills in defaults: gRPC over TLS, a kept key beside the config, Flower’s 30 s heartbeat, clamped bounds', () => {
    expect(FederationSectionSchema.parse({ server: 'superlink.example.org:9092' })).toEqual({
      server: 'superlink.example.org:9092',
      transport: 'grpc',
      insecure: false,
      key_file: 'node-key.pem',
      heartbeat_interval: 30,
      poll_interval: 3,
      register: true,
      local_epochs: 1,
      audit_log: 'federation-audit.jsonl',
      max_message_mb: 1024,
      bounds: { epochs: { max: 10 }, learning_rate: { min: 1e-6, max: 1 }, batch_size: { min: 1, max: 1024 }, out_of_bounds: 'clamp' },
    });
  });

  it('keeps the heartbeat interval within what Flower’s SuperLink accepts (10..1800 s)', () => {
    expect(issues({ server: 'h:1', heartbeat_interval: 5 })).toEqual(['heartbeat_interval: Too small: expected number to be >=10']);
    expect(issues({ server: 'h:1', heartbeat_interval: 3600 })).toEqual(['heartbeat_interval: Too big: expected number to be <=1800']);
  });

  it('refuses contradictions and unknown keys', () => {
    expect(issues({ server: 'h:1', insecure: true, root_ca: 'ca.pem' })).toEqual([
      'insecure: set either `insecure: true` or `root_ca`, not both',
    ]);
    expect(issues({ server: 'h:1', bounds: { batch_size: { min: 64, max: 32 } } })).toEqual([
      'bounds.batch_size: `min` must not be above `max`',
    ]);
    expect(issues({ server: 'h:1', heartbeat: 30 })).toEqual([': Unrecognized key: "heartbeat"']);
    expect(issues({ server: 'h:1', transport: 'grpc-bidi' })).toHaveLength(1);
    expect(issues({})).toEqual(['server: Invalid input: expected string, received undefined']);
  });

  it('keeps max_message_mb under what gRPC can carry (2 GiB - 1), in whole MiB', () => {
    expect(issues({ server: 'h:1', max_message_mb: 2048 })).toEqual(['max_message_mb: Too big: expected number to be <=2047']);
    expect(issues({ server: 'h:1', max_message_mb: 0.5 })).toEqual(['max_message_mb: Invalid input: expected int, received number']);
    expect(FederationSectionSchema.parse({ server: 'h:1', max_message_mb: 64 }).max_message_mb).toBe(64);
  });
});
