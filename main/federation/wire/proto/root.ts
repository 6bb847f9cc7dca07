// Runs anywhere in Node: parses our schema text once into one protobufjs root, so every codec shares its types.
import protobuf from 'protobufjs';
import { FLEET_SCHEMA } from './fleet-schema.js';
import { RECORDS_SCHEMA } from './records-schema.js';

const root = new protobuf.Root();
protobuf.parse(RECORDS_SCHEMA, root);
protobuf.parse(FLEET_SCHEMA, root);
root.resolveAll();

/** A message type of package flwr.proto, e.g. `messageType('PullMessagesRequest')`. */
export function messageType(name: string): protobuf.Type {
  return root.lookupType(`flwr.proto.${name}`);
}

/** The `flwr.proto.Fleet` service as written in FLEET_SCHEMA. */
export function fleetService(): protobuf.Service {
  return root.lookupService('flwr.proto.Fleet');
}
