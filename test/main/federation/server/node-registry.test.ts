// Tests (plain Node): the node registry: Flower's key binding, activation rules, heartbeat expiry and interval bounds.
import { describe, expect, it } from 'vitest';
import { FleetRpcError } from '../../../../main/federation/transport/fleet-handler.js';
import { HEARTBEAT_PATIENCE, NodeRegistry, randomNodeId } from '../../../../main/federation/server/node-registry.js';

const key = (text: string) => new TextEncoder().encode(`-----BEGIN PUBLIC KEY-----\n${text}\n-----END PUBLIC KEY-----\n`);

function clock(start = 1_700_000_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

function refusal(run: () => unknown): FleetRpcError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FleetRpcError);
    return error as FleetRpcError;
  }
  throw new Error('expected a refusal');
}

describe('NodeRegistry', () => {
  it('gives each key a random uint64 id, never 0 or 1, and refuses a key already in use', () => {
    const ids = [0n, 1n, 0n, 7n, 2n ** 64n - 1n];
    const registry = new NodeRegistry(Date.now, () => ids.shift()!);
    expect(registry.register(key('a'))).toBe(7n); // 0 and 1 are drawn again, as Flower's exclude list does
    expect(registry.register(key('b'))).toBe(2n ** 64n - 1n);
    const again = refusal(() => registry.register(key('a')));
    expect([again.status, again.message]).toEqual(['FAILED_PRECONDITION', 'Public key already in use']);
    expect(randomNodeId()).not.toBe(randomNodeId());
  });

  it('keeps a node online for patience x interval after activation or a heartbeat, then offline', () => {
    const { time, now } = clock();
    const registry = new NodeRegistry(now);
    const id = registry.register(key('a'));
    expect(registry.status(id)).toBe('registered');
    expect(registry.activate(key('a'), 10)).toBe(id);
    expect(registry.onlineNodeIds()).toEqual([id]);
    time.now += HEARTBEAT_PATIENCE * 10_000 - 1;
    expect(registry.isOnline(id)).toBe(true);
    expect(registry.heartbeat(id, 30)).toBe(true);
    time.now += 59_999;
    expect(registry.isOnline(id)).toBe(true);
    time.now += 1;
    expect(registry.isOnline(id)).toBe(false);
    expect(registry.status(id)).toBe('offline');
    expect(registry.heartbeat(id, 30)).toBe(true); // a late heartbeat brings it back, as in Flower
    expect(registry.isOnline(id)).toBe(true);
  });

  it('refuses heartbeat intervals outside 10..1800 s with INVALID_ARGUMENT', () => {
    const registry = new NodeRegistry();
    const id = registry.register(key('a'));
    for (const interval of [9.99, 1800.01, Number.NaN]) {
      expect(refusal(() => registry.activate(key('a'), interval)).status).toBe('INVALID_ARGUMENT');
    }
    registry.activate(key('a'), 1800);
    expect(refusal(() => registry.heartbeat(id, 5)).message).toMatch(/Invalid heartbeat interval: 5 s/);
  });

  it('activates only registered or offline nodes, deactivates only online ones', () => {
    const { time, now } = clock();
    const registry = new NodeRegistry(now);
    expect(refusal(() => registry.activate(key('nobody'), 30)).message).toBe('No SuperNode found with the given public key.');
    const id = registry.register(key('a'));
    registry.activate(key('a'), 10);
    // A party restarted inside its heartbeat window must wait for the window to end, as with Flower.
    expect(refusal(() => registry.activate(key('a'), 10)).status).toBe('FAILED_PRECONDITION');
    registry.deactivate(id);
    expect(registry.isOnline(id)).toBe(false);
    expect(refusal(() => registry.deactivate(id)).status).toBe('FAILED_PRECONDITION');
    expect(registry.activate(key('a'), 10)).toBe(id);
    time.now += 20_000;
    expect(registry.activate(key('a'), 10)).toBe(id);
  });

  it('takes an unregistered node offline at once and keeps its key bound (Flower refuses to register it again)', () => {
    const registry = new NodeRegistry();
    const id = registry.register(key('a'));
    registry.activate(key('a'), 30);
    registry.unregister(id);
    expect(registry.status(id)).toBe('unregistered');
    expect(registry.onlineNodeIds()).toEqual([]);
    expect(registry.nodeIdForKey(key('a'))).toBeUndefined();
    expect(registry.heartbeat(id, 30)).toBe(false);
    expect(refusal(() => registry.unregister(id)).status).toBe('FAILED_PRECONDITION');
    expect(refusal(() => registry.register(key('a'))).message).toBe('Public key already in use');
    expect(refusal(() => registry.activate(key('a'), 30)).message).toBe('No SuperNode found with the given public key.');
  });
});
