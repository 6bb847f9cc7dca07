// Tests (plain Node, real files): the aggregator's YAML config and flags: defaults, and errors naming the key, line or flag.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../main/config/errors.js';
import { loadAggregatorConfig } from '../../../../main/federation/server/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-aggregator-config-'));
});

async function yaml(name: string, lines: string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

async function problems(load: Promise<unknown>): Promise<string> {
  const error = await load.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).message;
}

describe('loadAggregatorConfig', () => {
  it('fills in defaults and resolves against the config file folder', async () => {
    const file = await yaml('plain.yaml', ['model:', '  builtin: mnist-cnn', 'insecure: true']);
    const { config, baseDir } = await loadAggregatorConfig(file);
    expect(baseDir).toBe(dir);
    expect(config).toMatchObject({
      model: { builtin: 'mnist-cnn', input_shape: [28, 28, 1], classes: 10, seed: 0 },
      rounds: 3,
      min_nodes: 2,
      fraction: 1,
      round_timeout: 600,
      train: { local_epochs: 1, lr: 0.001, batch_size: 32 },
      listen: { grpc: '0.0.0.0:9092', rest: null },
      out: 'aggregator-out',
    });
  });

  it('names the file, line and key of each problem', async () => {
    const file = await yaml('bad.yaml', ['model:', '  builtin: vgg16', 'rounds: 0', 'listen:', '  grpc: localhost', 'insecure: true']);
    const message = await problems(loadAggregatorConfig(file));
    expect(message).toContain(
      `${file}:2: model.builtin: expected one of "mnist-cnn", "mlp", "resnet", "mobilenetv2", "cnn3d", got "vgg16"`,
    );
    expect(message).toContain(`${file}:3: rounds: expected a whole number >= 1, got 0`);
    expect(message).toMatch(new RegExp(`${file}:5: listen.grpc: .*host:port`));
  });

  it('asks for TLS files or an explicit --insecure, and not both', async () => {
    const none = await problems(loadAggregatorConfig(undefined, [{ key: ['model', 'builtin'], value: 'mlp', flag: '--model' }]));
    expect(none).toContain('command line: tls: TLS needs `tls.cert` and `tls.key` (flags --tls-cert, --tls-key)');
    const file = await yaml('both.yaml', ['model: { builtin: mlp }', 'insecure: true', 'tls: { cert: c.pem, key: k.pem }']);
    expect(await problems(loadAggregatorConfig(file))).toContain(
      `${file}:2: insecure: set either \`tls\` (cert and key) or \`insecure: true\`, not both`,
    );
  });

  it('lets flags win over the file, and blames the flag for a bad value', async () => {
    const file = await yaml('flags.yaml', ['model: { builtin: mlp }', 'insecure: true', 'train: { lr: 0.5 }']);
    const { config } = await loadAggregatorConfig(file, [{ key: ['rounds'], value: 7, flag: '--rounds' }]);
    expect([config.rounds, config.train.lr]).toEqual([7, 0.5]);
    const message = await problems(loadAggregatorConfig(file, [{ key: ['train', 'lr'], value: -1, flag: '--lr' }]));
    expect(message).toBe('--lr: train.lr: expected a number > 0, got -1');
  });

  it('refuses a model given both as a built-in and as a file', async () => {
    const file = await yaml('model.yaml', ['model: { builtin: mlp, path: m.json }', 'insecure: true']);
    expect(await problems(loadAggregatorConfig(file))).toMatch(
      /model: set either `builtin` \(mnist-cnn or mlp or resnet or mobilenetv2 or cnn3d\) or `path`/,
    );
  });

  it('refuses an alias inside the value it repeats on its line, and reads the file with the party config reader', async () => {
    const file = await yaml('loop.yaml', ['model: { builtin: mlp }', 'insecure: true', 'train: &t', '  lr: 0.5', '  again: [*t]']);
    const loop = 'alias *t is inside the value &t it repeats, so that value would never end';
    expect(await problems(loadAggregatorConfig(file))).toBe(`${file}:5: train.again[0]: ${loop}`);
    // A missing key is placed on its section's key, as in a party config, not on the section's first entry.
    const listen = await yaml('listen.yaml', ['model: { builtin: mlp }', 'insecure: true', 'listen:', '  grpc: null']);
    expect(await problems(loadAggregatorConfig(listen))).toBe(`${listen}:3: listen: listen on gRPC, REST or both`);
  });
  it('takes the keys that shape a built-in, each only beside its built-in', async () => {
    const ok = await yaml('resnet.yaml', ['model: { builtin: resnet, depth: 2, width: 16 }', 'insecure: true']);
    expect((await loadAggregatorConfig(ok)).config.model).toMatchObject({ builtin: 'resnet', depth: 2, width: 16 });
    const bad = await yaml('alpha.yaml', ['model: { builtin: resnet, alpha: 0.5 }', 'insecure: true']);
    expect(await problems(loadAggregatorConfig(bad))).toContain('model.alpha: only `builtin: mobilenetv2` takes `alpha`');
  });
});
