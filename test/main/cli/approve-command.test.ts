// Tests (Node, real sockets, a real training thread): `tributary party` with `review: {mode: ask}` prints the task waiting for
// approval and the command that approves it; `tributary approve` run beside it lets the round train, or declines it with a reason.
import { EventEmitter } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { approveCommand } from '../../../main/cli/approve-command.js';
import { main } from '../../../main/cli/index.js';
import { partyCommand } from '../../../main/cli/party-command.js';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import type { NamedArray } from '../../../main/engine/weights.js';
import { FakeFleet, waitFor } from '../federation/client/fake-fleet.js';
import { fedAvgContent, instruction, RUN_ID } from '../federation/client/instructions.js';
import { captureConsole } from './console-capture.js';

const SAMPLE = path.resolve(import.meta.dirname, '../../../assets/fashion-mnist-sample');

async function reviewedConfig(dir: string, server: string): Promise<string> {
  const file = path.join(dir, 'party.yaml');
  await writeFile(
    file,
    [
      `data: { name: ImageFolder, info: { train: "${SAMPLE}/train", test: "${SAMPLE}/test", color_mode: grayscale, batch_size: 64 } }`,
      'model: { builtin: mlp, learning_rate: 0.01 }',
      'training: { backend: wasm }',
      `federation: { server: "${server}", insecure: true, poll_interval: 0.05 }`,
      'review: { mode: ask }',
      '',
    ].join('\n'),
  );
  return file;
}

/** The config's MLP on 28x28x1 images in 10 classes. */
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

const { printed } = captureConsole();

describe('tributary party with task review, and tributary approve', () => {
  it('prints the waiting task with the command to approve it; approved, the round trains; declined, the next run is declined', async () => {
    const fleet = await FakeFleet.start('grpc');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-approve-cli-'));
    const signals = new EventEmitter();
    try {
      const file = await reviewedConfig(dir, fleet.address);
      const quiet = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
      const exit = partyCommand({ loaded: await loadPartyConfig(file), signals, stream: quiet });
      const nodeId = await fleet.activeNode(20_000);
      const reply = fleet.send(instruction(nodeId, fedAvgContent(mlpWeights(), { 'local-epochs': 1n, lr: 0.02 }), { type: 'train' }));
      await waitFor(() => printed().includes('approve: tributary approve'), 10_000, 'the task to be printed');
      const run = String(RUN_ID);
      expect(printed()).toContain(`run ${run} asks this site to train; it waits for approval until `);
      expect(printed()).toContain('  model          mlp: 4 arrays, 101770 parameters');
      expect(printed()).toContain('  rounds         not said by the server (this is round 1)');
      expect(printed()).toContain('  local epochs   1\n');
      expect(printed()).toContain('  learning rate  0.02\n');
      expect(printed()).toContain("  batch size     64 (this site's own)");
      expect(printed()).toContain(`  approve: tributary approve --config ${JSON.stringify(file)} --run ${run}`);

      expect(await main(['approve', '--config', file, '--run', run])).toBe(0);
      expect((await reply).message.error).toBeUndefined();
      await waitFor(() => /round 1 train: replied/.test(printed()), 10_000, 'the round line');

      // A decision for a run before it comes: declined at once, with the reason.
      const nextRun = String(RUN_ID + 1n);
      expect(await approveCommand(['--config', file, '--run', nextRun, '--decline', 'not   this one'])).toBe(0);
      expect(printed()).toContain(
        `run ${nextRun} declined (not this one); written to ${file}`.replace('party.yaml', 'federation-audit.jsonl.review.json'),
      );
      const declined = await fleet.send(instruction(nodeId, fedAvgContent(mlpWeights()), { type: 'train', runId: RUN_ID + 1n }));
      expect(declined.message.error?.reason).toBe(
        `this site declined "train": run ${nextRun} was declined by this site's operator: not this one`,
      );
      signals.emit('SIGINT');
      expect(await exit).toBe(0);
    } finally {
      await fleet.close();
    }
  }, 60_000);

  it('refuses a run id that is not one, and a decline without a reason', async () => {
    await expect(approveCommand(['--config', 'x.yaml', '--run', 'abc'])).rejects.toThrow(
      '--run takes the run id the party printed (digits)',
    );
    await expect(approveCommand(['--config', 'x.yaml', '--run', '1', '--decline', ' '])).rejects.toThrow(
      "--decline takes a reason of 1 to 500 characters: the server's error reply carries it",
    );
  });
});
