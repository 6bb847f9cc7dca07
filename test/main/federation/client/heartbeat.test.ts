// Tests (Node): the heartbeat's timing (Flower's formula, scaled for short intervals), its retries, and how it reports a node the server lost.
import { describe, expect, it } from 'vitest';
import { Heartbeat, nextBeatDelayMs } from '../../../../main/federation/client/heartbeat.js';
import { TransportError } from '../../../../main/federation/transport/transport-error.js';

describe('nextBeatDelayMs', () => {
  it('is (interval - call timeout) x U(0.7, 0.9), as Flower’s SuperNode waits', () => {
    expect(nextBeatDelayMs(30, () => 0)).toBeCloseTo(25 * 0.7 * 1000);
    expect(nextBeatDelayMs(30, () => 1)).toBeCloseTo(25 * 0.9 * 1000);
    expect(nextBeatDelayMs(1, () => 0.5)).toBeCloseTo(0.75 * 0.8 * 1000);
  });
});

describe('Heartbeat', () => {
  it('beats until stopped, retrying a beat that failed on the way', async () => {
    let calls = 0;
    const retried: unknown[] = [];
    const heartbeat = new Heartbeat({
      intervalSec: 0.1,
      send: async () => {
        calls++;
        if (calls === 2) throw new TransportError('SendNodeHeartbeat', 'UNAVAILABLE', 'connection refused', true);
        return true;
      },
      onLost: () => expect.fail('not lost'),
      onRetry: (error) => retried.push(error),
    });
    heartbeat.start();
    await new Promise((resolve) => setTimeout(resolve, 400));
    await heartbeat.stop();
    const after = calls;
    expect(heartbeat.beats).toBeGreaterThanOrEqual(3);
    expect(retried).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(calls).toBe(after);
  });

  it('reports the node lost when the server answers success = false, or refuses the beat', async () => {
    const lost = async (send: () => Promise<boolean>) => {
      const reasons: string[] = [];
      const heartbeat = new Heartbeat({ intervalSec: 0.05, send, onLost: (reason) => reasons.push(reason) });
      heartbeat.start();
      await new Promise((resolve) => setTimeout(resolve, 150));
      await heartbeat.stop();
      return reasons;
    };
    expect(await lost(async () => false)).toEqual(['the server no longer knows this node (SendNodeHeartbeat answered success = false)']);
    expect(
      await lost(async () => {
        throw new TransportError('SendNodeHeartbeat', 'UNAUTHENTICATED', 'Invalid node ID', false);
      }),
    ).toEqual(['SendNodeHeartbeat: SendNodeHeartbeat failed: UNAUTHENTICATED: Invalid node ID']);
  });
});
