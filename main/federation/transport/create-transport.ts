// Runs anywhere in main: opens the Fleet client transport a party's config asks for.
import type { FleetTransport, TransportOptions } from './fleet-transport.js';
import { createGrpcTransport } from './grpc-client.js';
import { createRestTransport } from './rest-client.js';

export function createTransport(options: TransportOptions): Promise<FleetTransport> {
  return options.kind === 'grpc' ? createGrpcTransport(options) : createRestTransport(options);
}
