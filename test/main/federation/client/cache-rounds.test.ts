// Tests (Node, real sockets, real training threads): with the object cache, parties and the reference aggregator still run
// FedAvg rounds over gRPC and REST, and no party pulls an object twice.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartyOptions } from '../../../../main/federation/client/party.js';
import { Aggregator } from '../../../../main/federation/server/aggregator.js';
import { AggregatorConfigSchema } from '../../../../main/federation/server/config.js';
import { createTransport } from '../../../../main/federation/transport/create-transport.js';
import { fleetRpcs } from '../../../../main/federation/wire/proto/fleet-rpcs.js';
import { errorsOf, openRunner, startParty, type OpenedRunner } from './party-fixture.js';

const ROUNDS = 3;

let runners: OpenedRunner[];
beforeAll(async () => {
  runners = await Promise.all([openRunner(), openRunner()]);
});
afterAll(() => Promise.all(runners.map(({ runner }) => runner.close())));

/** The party's own transport, noting the object id of every PullObject it sends. */
function recordingPulls(pulled: string[]): PartyOptions['openTransport'] {
  return async (options) => {
    const inner = await createTransport(options);
    return {
      kind: inner.kind,
      close: () => inner.close(),
      call: (rpc, request, callOptions) => {
        if (rpc === 'PullObject') pulled.push(fleetRpcs.PullObject.request.decode(request).objectId);
        return inner.call(rpc, request, callOptions);
      },
    };
  };
}

describe('the object cache in FedAvg rounds with the reference aggregator', () => {
  it.each(['grpc', 'rest'] as const)(
    'over %s: every round completes, trains after the first come from the cache, nothing is pulled twice or left at the server',
    async (kind) => {
      const out = await mkdtemp(path.join(os.tmpdir(), 'tributary-cache-rounds-'));
      const config = AggregatorConfigSchema.parse({
        model: { builtin: 'mlp', input_shape: [28, 28, 1], classes: 10 },
        rounds: ROUNDS,
        min_nodes: 2,
        round_timeout: 60,
        insecure: true,
        out,
        train: { local_epochs: 1, lr: 0.01, batch_size: 64 },
        listen: kind === 'grpc' ? { grpc: '127.0.0.1:0', rest: null } : { grpc: null, rest: '127.0.0.1:0' },
      });
      const aggregator = new Aggregator(config, out);
      const addresses = await aggregator.start();
      const address = kind === 'grpc' ? addresses.grpc! : `http://${addresses.rest!}`;
      const pulls = runners.map((): string[] => []);
      const parties = await Promise.all(
        runners.map((opened, i) =>
          startParty({ address, kind }, opened, { heartbeatIntervalSec: 10, options: { openTransport: recordingPulls(pulls[i]!) } }),
        ),
      );
      try {
        const result = await aggregator.run();
        expect(result.records.map((record) => record.status)).toEqual(Array(ROUNDS).fill('completed'));
        for (const record of result.records) expect(record.eval_accuracy).toBeGreaterThan(0.3);
        expect(aggregator.state.store.stats()).toEqual({ objects: 0, bytes: 0 });
        for (const [i, { party, events }] of parties.entries()) {
          await party.leave({ finish: true });
          expect(errorsOf(events)).toEqual([]);
          expect(new Set(pulls[i]).size).toBe(pulls[i]!.length);
          const received = (await party.readAudit()).filter((entry) => entry.direction === 'received');
          expect(received.map((entry) => [entry.messageType, entry.serverRound, entry.arrays.length > 0])).toEqual(
            Array.from({ length: ROUNDS }, (_, r) => [
              ['train', r + 1, true],
              ['evaluate', r + 1, true],
            ]).flat(),
          );
          for (const entry of received) {
            const repeatsEvaluate = entry.messageType === 'train' && entry.serverRound! > 1;
            if (repeatsEvaluate) expect(entry.cachedBytes).toBeGreaterThan(entry.bytes);
            else expect(entry.cachedBytes).toBe(0);
          }
        }
      } finally {
        await Promise.all(parties.map(({ party }) => party.leave({ finish: false })));
        await aggregator.close();
      }
    },
    90_000,
  );
});
