// Tests (Node, real sockets, real training threads): `tributary demo` on the shipped sample: the aggregator and parties start,
// rounds run, the table prints, flags are checked.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { demoCommand, parseDemoArgs } from '../../../main/cli/demo-command.js';
import { loadFull } from '../../../main/federation/local/fashion-mnist.js';

let log: MockInstance<typeof console.log>;
beforeEach(() => {
  log = vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});
const printed = () => log.mock.calls.map((call) => call.join(' ')).join('\n');

describe('tributary demo', () => {
  it('runs 2 rounds of the mlp with 2 parties on their own shares and prints the global test accuracy per round', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'tributary-demo-test-'));
    try {
      const code = await demoCommand(['--rounds', '2', '--parties', '2', '--model', 'mlp', '--non-iid', '--threads', '1', '--out', out]);
      expect(code).toBe(0);
      const text = printed();
      expect(text).toMatch(/listening for parties: grpc on 127\.0\.0\.1:\d+ \(PLAIN TEXT\)/);
      expect(text).toMatch(/non-IID \(label skew\): .*party 1: classes 0-4; party 2: classes 5-9/);
      expect(text).toMatch(/party-1 +[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4} +500 +80 80 80 80 80 20 20 20 20 20/);
      const table = text.slice(text.indexOf('round  global test acc'));
      expect(table.split('\n').filter((line) => /^[12] +0\.\d{4} /.test(line))).toHaveLength(2);
      // Each site's own folder: its manifest, its config, its audit log, epoch log and local evaluations; and the aggregator's run.
      expect((await readdir(path.join(out, 'party-1'))).sort()).toEqual([
        'federation-audit.epochs.jsonl',
        'federation-audit.evaluations.jsonl',
        'federation-audit.jsonl',
        'party.yaml',
        'train.csv',
      ]);
      expect(await readdir(path.join(out, 'aggregator'))).toHaveLength(1);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('checks its flags', () => {
    expect(parseDemoArgs([])).toMatchObject({
      rounds: 5,
      parties: 3,
      epochs: 1,
      model: { builtin: 'mnist-cnn' },
      transport: 'grpc',
      nonIid: false,
      full: false,
    });
    expect(parseDemoArgs(['--model', 'nets/wide.json']).model).toEqual({ path: path.resolve('nets/wide.json') });
    expect(() => parseDemoArgs(['--parties', '1'])).toThrow('--parties takes a whole number from 2 to 10, not "1"');
    expect(() => parseDemoArgs(['--transport', 'carrier-pigeon'])).toThrow('--transport carrier-pigeon: use grpc or rest');
    expect(() => parseDemoArgs(['--lr', '0'])).toThrow('--lr takes a number above 0');
  });

  it('names the Debian package when the full Fashion-MNIST is not installed', async () => {
    await expect(loadFull(path.join(os.tmpdir(), 'no-fashion-mnist-here'))).rejects.toThrow(/apt-get install dataset-fashion-mnist/);
  });
});
