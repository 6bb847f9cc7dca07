// Tests (Node): the Federation page's fields: the keys it edits, where each lives in the config, its help taken from the schema.
import { describe, expect, it } from 'vitest';
import { FEDERATION_FIELDS, fieldPath, issueKey } from '../../../../renderer/features/federation/federation-fields.js';

describe('FEDERATION_FIELDS', () => {
  it('edits the address, the transport, the CA file and insecure, each with help text from the schema', () => {
    expect(FEDERATION_FIELDS.map((field) => field.key)).toEqual(['server', 'transport', 'root_ca', 'insecure']);
    for (const field of FEDERATION_FIELDS) expect(field.description.length).toBeGreaterThan(10);
    expect(FEDERATION_FIELDS.find((field) => field.key === 'transport')).toMatchObject({ options: ['grpc', 'rest'], default: 'grpc' });
    expect(FEDERATION_FIELDS.find((field) => field.key === 'server')!.description).toContain('host:port');
  });

  it('places each field under `federation:`, with its problems reported under the dotted key', () => {
    expect(fieldPath('root_ca')).toEqual(['federation', 'root_ca']);
    expect(issueKey('insecure')).toBe('federation.insecure');
  });
});
