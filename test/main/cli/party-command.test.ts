// Tests (Node, real sockets, a real training thread): `tributary party`: joins a fake Flower server, shows rounds and progress bars,
// leaves on Ctrl-C (a second one aborts).
import { EventEmitter } from 'node:events';
import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureConsole } from './console-capture.js';
import { stringify } from 'yaml';
import { partyCommand } from '../../../main/cli/party-command.js';
import { loadPartyConfig, type LoadedConfig } from '../../../main/config/party-config.js';
import type { NamedArray } from '../../../main/engine/weights.js';
import { FakeFleet, waitFor } from '../federation/client/fake-fleet.js';
import { fedAvgContent, instruction } from '../federation/client/instructions.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../../assets/fashion-mnist-sample');

/** A party config on the shipped sample (an MLP on wasm), with the `federation:` section given separately. */
async function partyConfig(dir: string, lines: string[] = []): Promise<string> {
  const file = path.join(dir, 'party.yaml');
  await writeFile(
    file,
    [
      'data:',
      '  name: ImageFolder',
      '  info:',
      `    train: ${SAMPLE}/train`,
      `    test: ${SAMPLE}/test`,
      '    color_mode: grayscale',
      '    batch_size: 64',
      'model:',
      '  builtin: mlp',
      '  learning_rate: 0.01',
      'training:',
      '  backend: wasm',
      ...lines,
      '',
    ].join('\n'),
  );
  return file;
}

/** The config file with a `federation:` section added, loaded as the command would load it. */
async function withFederation(file: string, federation: Record<string, unknown>): Promise<LoadedConfig> {
  await appendFile(file, stringify({ federation }));
  return loadPartyConfig(file);
}

/** A stream that is not a terminal: the progress bars come a line per epoch. */
function progressStream(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = { isTTY: false, write: (chunk: string) => chunks.push(chunk) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}

const { printed, complained } = captureConsole();

describe('tributary party', () => {
  it('serves rounds with progress bars per round and epoch, and leaves cleanly on Ctrl-C', async () => {
    const fleet = await FakeFleet.start('grpc');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-party-cli-'));
    const signals = new EventEmitter();
    const progress = progressStream();
    try {
      const loaded = await withFederation(await partyConfig(dir), { server: fleet.address, insecure: true, poll_interval: 0.05 });
      const exit = partyCommand({ loaded, signals, stream: progress.stream });
      const nodeId = await fleet.activeNode(20_000);
      await fleet.send(instruction(nodeId, fedAvgContent(mlpWeights(), { 'local-epochs': 2n }), { type: 'train', group: '1' }));
      await waitFor(() => /round 1 train: replied/.test(printed()), 5_000, 'the round line');
      signals.emit('SIGINT');
      expect(await exit).toBe(0);

      expect(printed()).toMatch(/^backend: wasm/m);
      expect(printed()).toMatch(/^model: mlp, 101,770 parameters/m);
      expect(printed()).toMatch(/^node key [0-9a-f]{4}(-[0-9a-f]{4}){3} \(node-key\.pem\); audit log .*federation-audit\.jsonl$/m);
      expect(printed()).toContain(`node ${nodeId}: waiting for work`);
      expect(printed()).toMatch(/^round 1 train: replied in \d+\.\d s: train_loss \d\.\d{4}, train_acc \d\.\d{4}, num-examples 1000$/m);
      expect(printed()).toMatch(/left the federation$/);
      expect(progress.text()).toMatch(
        /^round 1 \[#####\.{5}\] epoch 1\/2 \[#{20}\] batch 16\/16 {2}loss \d\.\d{4} {2}acc \d\.\d{4} {2}\d+ samples\/s {2}eta \d+ s$/m,
      );
      expect(progress.text()).toMatch(/^round 1 \[#{10}\] epoch 2\/2 \[#{20}\] batch 16\/16/m);
      expect(complained()).toBe('leaving the federation after the task in hand (Ctrl-C again to abort it)');
      expect(fleet.calls.slice(-2).map((call) => call.rpc)).toEqual(['DeactivateNode', 'UnregisterNode']);
    } finally {
      await fleet.close();
    }
  });

  it('a second Ctrl-C aborts the training in hand, and the party still says goodbye', async () => {
    const fleet = await FakeFleet.start('rest');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-party-cli-'));
    const signals = new EventEmitter();
    try {
      const loaded = await withFederation(await partyConfig(dir), {
        server: fleet.address,
        transport: 'rest',
        insecure: true,
        poll_interval: 0.05,
      });
      const exit = partyCommand({ loaded, signals, stream: progressStream().stream });
      const nodeId = await fleet.activeNode(20_000);
      const reply = fleet.send(instruction(nodeId, fedAvgContent(mlpWeights(), { 'local-epochs': 10n }), { type: 'train' }));
      await waitFor(() => fleet.callsOf('ConfirmMessageReceived').length > 0, 5_000, 'the message to arrive');
      signals.emit('SIGINT');
      signals.emit('SIGINT');
      expect(await exit).toBe(0);
      expect((await reply).message.error?.reason).toBe('this site\'s operator stopped "train" before it finished');
      expect(printed()).toMatch(/^round 1 train: aborted in/m);
      expect(fleet.calls.slice(-2).map((call) => call.rpc)).toEqual(['DeactivateNode', 'UnregisterNode']);
    } finally {
      await fleet.close();
    }
  });

  it('refuses a config without a federation section, naming the key', async () => {
    const loaded = await loadPartyConfig(await partyConfig(await mkdtemp(path.join(os.tmpdir(), 'tributary-party-cli-'))));
    await expect(partyCommand({ loaded, signals: new EventEmitter() })).rejects.toThrow(
      /party\.yaml: federation: missing: a party needs a `federation:` section/,
    );
  });

  it('reads the federation section from party.yaml, each problem on its line', async () => {
    const file = await partyConfig(await mkdtemp(path.join(os.tmpdir(), 'tributary-party-cli-')), [
      'federation:',
      '  server: 127.0.0.1:1',
      '  heartbeat_interval: 2',
    ]);
    await expect(loadPartyConfig(file).then((loaded) => partyCommand({ loaded, signals: new EventEmitter() }))).rejects.toThrow(
      /party\.yaml:15: federation\.heartbeat_interval: /,
    );
  });
});

/** A global model for the config's MLP on 28x28x1 images in 10 classes: small values in Keras order. */
function mlpWeights(): NamedArray[] {
  const weight = (name: string, shape: number[]): NamedArray => {
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i) * 0.05);
    return { name, shape, dtype: 'float32', data };
  };
  return [
    weight('dense/kernel', [784, 128]),
    weight('dense/bias', [128]),
    weight('dense_1/kernel', [128, 10]),
    weight('dense_1/bias', [10]),
  ];
}
