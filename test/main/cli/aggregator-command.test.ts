// Tests (real sockets on 127.0.0.1, real files): `tributary aggregator`: flags over config, refusals, and a TLS run with a progress table.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { captureConsole } from './console-capture.js';
import { aggregatorCommand } from '../../../main/cli/aggregator-command.js';
import { honest } from '../federation/server/behaviours.js';
import { FakeNode } from '../federation/server/fake-node.js';
import { makeTestCertificates, type TestCertificates } from '../federation/transport/fixtures.js';

let dir: string;
let certificates: TestCertificates;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-aggregator-cli-'));
  certificates = makeTestCertificates(dir);
});

const { printed, complained } = captureConsole();
const TINY = ['--model', 'mlp', '--input-shape', '4', '--classes', '2'];

async function failure(run: Promise<number>): Promise<Error> {
  return (await run.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )) as Error;
}

describe('tributary aggregator', () => {
  it('refuses a flag that is not a number as bad usage, naming the flag', async () => {
    const thrown = await failure(aggregatorCommand([...TINY, '--rounds', 'five', '--insecure']));
    expect([thrown.name, thrown.message]).toEqual(['UsageError', '--rounds: expected a number, got "five"']);
  });

  it('asks for TLS files or --insecure, and blames flags for values out of range', async () => {
    const noTls = await failure(aggregatorCommand(TINY));
    expect(noTls.name).toBe('ConfigError');
    expect(noTls.message).toContain('tls: TLS needs `tls.cert` and `tls.key` (flags --tls-cert, --tls-key)');
    const badFraction = await failure(aggregatorCommand([...TINY, '--fraction', '1.5', '--insecure']));
    expect(badFraction.message).toBe('--fraction: fraction: expected a number > 0 and <= 1, got 1.5');
  });

  it('serves over TLS, runs the rounds with a node, prints a row per round and a summary table, and exits 0', async () => {
    const out = path.join(dir, 'out');
    const run = aggregatorCommand([
      ...TINY,
      '--rounds',
      '2',
      '--min-nodes',
      '1',
      '--round-timeout',
      '10',
      '--grpc',
      '127.0.0.1:0',
      '--rest',
      'off',
      '--tls-cert',
      certificates.certFile,
      '--tls-key',
      certificates.keyFile,
      '--out',
      out,
    ]);
    const address = await listeningAddress();
    const node = await FakeNode.connect('grpc', address, certificates.caFile);
    await node.join();
    node.serve(honest(1, 5));
    expect(await run).toBe(0);
    await node.stop();
    const out_ = printed();
    expect(out_).toMatch(
      /^round\s+status\s+sampled\s+replied\s+dropped\s+refused\s+examples\s+train loss\s+eval loss\s+eval acc\s+seconds$/m,
    );
    expect(out_).toMatch(/^1\s+completed\s+1\s+1\s+0\s+0\s+5\s+1\.0000\s+1\.0000\s+0\.1000\s+\d+\.\d$/m);
    expect(out_).toMatch(/^2\s+completed\s+1\s+1/m);
    expect(out_).toContain(`checkpoints and metrics.jsonl in ${out}${path.sep}run-`);
    expect(complained()).toContain(`node ${node.nodeId} replied (5 examples)`);
    expect(complained()).not.toContain('INSECURE');
  });
});

/** The address from the "listening" line, once the aggregator has bound its port. */
async function listeningAddress(): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const match = /listening for parties: grpc on (\S+) \(TLS\)/.exec(complained());
    if (match) return match[1]!;
    await sleep(10);
  }
  throw new Error(`the aggregator never said where it listens:\n${complained()}`);
}
