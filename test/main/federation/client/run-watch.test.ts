// Tests (Node): how the party's run watch takes the server's answers to GetRun, with the clock and the client stood in for.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FleetClient } from '../../../../main/federation/client/fleet-client.js';
import type { PartyEvent } from '../../../../main/federation/client/party-events.js';
import { RUN_CHECK_EVERY_MS, RunWatch } from '../../../../main/federation/client/run-watch.js';
import { TransportError } from '../../../../main/federation/transport/transport-error.js';

let now = 0;
afterEach(() => vi.restoreAllMocks());

/** A run watch serving run 7, whose GetRun calls `answer`; `poll` moves the clock past the interval and checks. */
function watching(answer: () => Promise<unknown>) {
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const events: PartyEvent[] = [];
  const watch = new RunWatch((event) => events.push(event));
  const getRun = vi.fn(answer);
  const client = { getRun } as unknown as FleetClient;
  watch.serving(7n);
  const poll = async () => {
    now += RUN_CHECK_EVERY_MS;
    await watch.check(client, 1n, new AbortController().signal);
  };
  const notices = () => events.flatMap((event) => (event.type === 'notice' ? [event.message] : []));
  return { watch, getRun, poll, notices };
}

describe('GetRun', () => {
  it('refused outright (Flower over REST answers a bare HTTP 500): said once, and the run is not asked about again', async () => {
    const { watch, getRun, poll, notices } = watching(() => Promise.reject(new TransportError('GetRun', 'HTTP 500', '', true)));
    for (let i = 0; i < 4; i++) await poll();
    expect(getRun).toHaveBeenCalledTimes(1);
    expect(notices()).toEqual([
      'the server does not say whether run 7 has finished (GetRun refused: HTTP 500); not asking again during this run, serving on',
    ]);
    expect(watch.run).toEqual({ runId: '7', lastRound: null, finished: false });
    watch.serving(8n); // a new run is asked about again
    await poll();
    expect(getRun).toHaveBeenCalledTimes(2);
  });

  it('failing on the way (connection refused, a gateway 503) is asked again at the next poll, and says nothing', async () => {
    const failures = [new TransportError('GetRun', 'ECONNREFUSED', '', true), new TransportError('GetRun', 'HTTP 503', '', true)];
    const { getRun, poll, notices } = watching(() => Promise.reject(failures.shift() ?? new Error('no more failures')));
    await poll();
    await poll();
    expect(getRun).toHaveBeenCalledTimes(2);
    expect(notices()).toEqual([]);
  });

  it('refused as Flower refuses a finished run over gRPC ("Run is finished."): the run is finished', async () => {
    const { watch, poll, notices } = watching(() =>
      Promise.reject(new TransportError('GetRun', 'PERMISSION_DENIED', 'Run is finished.', false)),
    );
    await poll();
    expect(watch.run?.finished).toBe(true);
    expect(notices()).toEqual(['federation finished: run 7, no rounds, the server says; staying connected in case it starts another run']);
  });

  it('answered while running: nothing said, asked again', async () => {
    const { getRun, poll, notices } = watching(() =>
      Promise.resolve({ run: { runId: 7n, status: { status: 'running', subStatus: '', details: '' } } }),
    );
    await poll();
    await poll();
    expect(getRun).toHaveBeenCalledTimes(2);
    expect(notices()).toEqual([]);
  });
});
