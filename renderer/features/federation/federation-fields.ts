// Runs in the renderer: the `federation:` keys the Federation page edits, with their help text taken from the schema in common/.
import { FederationSectionSchema } from '../../../common/federation-config.js';

const shape = FederationSectionSchema.shape;

export type FederationField =
  | { key: 'server' | 'root_ca'; label: string; kind: 'text'; description: string; placeholder: string }
  | { key: 'transport'; label: string; kind: 'choice'; description: string; options: readonly string[]; default: string }
  | { key: 'insecure'; label: string; kind: 'boolean'; description: string };

export const FEDERATION_FIELDS: readonly FederationField[] = [
  {
    key: 'server',
    label: 'Aggregator address',
    kind: 'text',
    description: shape.server.description ?? '',
    placeholder: 'fl.example.org:9092',
  },
  {
    key: 'transport',
    label: 'Transport',
    kind: 'choice',
    description: "gRPC (Flower's grpc-rere) or REST",
    options: shape.transport.unwrap().options,
    default: 'grpc',
  },
  { key: 'root_ca', label: 'CA file', kind: 'text', description: shape.root_ca.description ?? '', placeholder: "none: the system's CAs" },
  { key: 'insecure', label: 'Insecure (no TLS)', kind: 'boolean', description: shape.insecure.description ?? '' },
];

/** Where a field's value lives in the config, and the key its problems are reported under. */
export const fieldPath = (key: FederationField['key']): ['federation', string] => ['federation', key];
export const issueKey = (key: FederationField['key']): string => `federation.${key}`;
