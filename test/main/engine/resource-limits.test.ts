// Tests (Node, real training threads and decode threads): a site's resource limits are in effect: training.threads holds
// TensorFlow's compute pool and the wasm threads, data.info.workers sizes the decode pool.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPartyConfig } from '../../../main/config/party-config.js';
import { openData } from '../../../main/data/handler-loader.js';
import { closeSplits } from '../../../main/data/data-handler.js';
import { PooledGenerator } from '../../../main/data/pooled-generator.js';
import { TrainingRunner } from '../../../main/engine/train/runner.js';
import { tempDir } from '../../fixtures/corpus.js';
import { isRequired, whyAbsent } from './backends.js';
import { toyParty } from './train/toy-party.js';

const MLP = '{ builtin: mlp, learning_rate: 0.01 }';
const runnerModule = JSON.stringify(new URL('../../../main/engine/train/runner.ts', import.meta.url).href);

/** Opens `configFile` in a training thread of a fresh Node, trains two batches, and counts TensorFlow's compute threads (Linux names them tf_Compute). */
const COUNT = `
const { readdirSync, readFileSync } = await import('node:fs');
const { TrainingRunner } = await import(${runnerModule});
const runner = new TrainingRunner();
const info = await runner.open({ configFile: process.env.CONFIG });
await runner.train(1, { maxSteps: 2 });
const names = readdirSync('/proc/self/task').map((task) => readFileSync('/proc/self/task/' + task + '/comm', 'utf8').trim());
await runner.close();
console.log(JSON.stringify({ backend: info.backend.name, compute: names.filter((name) => name === 'tf_Compute').length }));
`;

async function tensorflowComputeThreads(configFile: string): Promise<{ backend: string; compute: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CONFIG: configFile };
  for (const name of ['TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS']) delete env[name];
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', COUNT], {
    env,
    timeout: 120_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

let dir: string;
beforeAll(async () => {
  dir = await tempDir('tributary-limits-');
});

const tensorflowAbsent = whyAbsent('tensorflow');
describe.skipIf(tensorflowAbsent !== undefined && !isRequired('tensorflow'))('training.threads on tensorflow', { timeout: 240_000 }, () => {
  // TensorFlow runs a pool per kind of work it does (eager ops, the graph step), each of TF_NUM_INTRAOP_THREADS threads;
  // unset, one per core.
  it('sizes every compute pool to it', async () => {
    const counts = [];
    for (const threads of [1, 3]) {
      const party = await toyParty(`${dir}/tf-${threads}`, { model: MLP, training: `{ backend: tensorflow, threads: ${threads} }` });
      counts.push(await tensorflowComputeThreads(party.configFile));
    }
    const [one, three] = counts;
    expect(one!.backend).toBe('tensorflow');
    expect(three!.compute).toBe(3 * one!.compute);
  });
});

describe('training.threads on wasm', { timeout: 240_000 }, () => {
  it.skipIf(availableParallelism() < 2)('starts the threads it says', async () => {
    for (const threads of [1, 2]) {
      const party = await toyParty(`${dir}/wasm-${threads}`, { model: MLP, training: `{ backend: wasm, threads: ${threads} }` });
      const runner = new TrainingRunner();
      try {
        const { backend } = await runner.open({ configFile: party.configFile });
        expect(backend.description).toContain(threads === 1 ? '1 thread' : '2 threads');
      } finally {
        await runner.close();
      }
    }
  });
});

describe('data.info.workers', () => {
  it('sizes the decode pool of a built-in handler', async () => {
    for (const workers of [1, 2]) {
      const party = await toyParty(`${dir}/workers-${workers}`);
      const loaded = await loadPartyConfig(party.configFile);
      (loaded.config.data.info as { workers: number }).workers = workers;
      const { splits } = await openData(loaded);
      try {
        expect(splits.train).toBeInstanceOf(PooledGenerator);
        expect((splits.train as PooledGenerator).pool().size).toBe(workers);
      } finally {
        await closeSplits(splits);
      }
    }
  });
});
