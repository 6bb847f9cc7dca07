// Tests (Node): the Fleet RPC table: twelve calls, their gRPC paths and Flower's REST routes.
import { describe, expect, it } from 'vitest';
import { FLEET_RPCS, grpcPath, restPath, rpcForRestPath } from '../../../../main/federation/transport/rpc.js';

describe('the Fleet RPC table', () => {
  it('names the twelve RPCs of flwr.proto.Fleet with their gRPC paths', () => {
    expect(FLEET_RPCS).toHaveLength(12);
    expect(grpcPath('SendNodeHeartbeat')).toBe('/flwr.proto.Fleet/SendNodeHeartbeat');
  });

  it("gives Flower's REST routes, the names in kebab case", () => {
    expect(FLEET_RPCS.map(restPath)).toEqual([
      '/api/v0/fleet/register-node',
      '/api/v0/fleet/activate-node',
      '/api/v0/fleet/deactivate-node',
      '/api/v0/fleet/unregister-node',
      '/api/v0/fleet/send-node-heartbeat',
      '/api/v0/fleet/pull-messages',
      '/api/v0/fleet/push-messages',
      '/api/v0/fleet/get-run',
      '/api/v0/fleet/get-fab',
      '/api/v0/fleet/push-object',
      '/api/v0/fleet/pull-object',
      '/api/v0/fleet/confirm-message-received',
    ]);
  });

  it('finds the RPC of a REST route, and nothing for other paths', () => {
    for (const rpc of FLEET_RPCS) expect(rpcForRestPath(restPath(rpc))).toBe(rpc);
    expect(rpcForRestPath('/api/v0/fleet/RegisterNode')).toBeUndefined();
    expect(rpcForRestPath('/api/v0/fleet/register-node/')).toBeUndefined();
  });
});
