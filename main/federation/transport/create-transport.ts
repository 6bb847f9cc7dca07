// Runs anywhere in main: opens the Fleet client transport a party's config asks for.
import type { FleetTransport, TransportOptions } from './fleet-transport.js';
import { createGrpcTransport } from './grpc-client.js';
import { withPinnedCaMessages } from './pinned-ca.js';
import { createRestTransport } from './rest-client.js';

export async function createTransport(options: TransportOptions): Promise<FleetTransport> {
  const transport = await (options.kind === 'grpc' ? createGrpcTransport(options) : createRestTransport(options));
  return options.pinnedCaSha256 ? withPinnedCaMessages(transport, options.pinnedCaSha256) : transport;
}
