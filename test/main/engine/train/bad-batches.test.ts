// Tests (Node, a real training thread, a site handler module on disk): a bad batch stops training and evaluation, named, on both loss paths.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingRunner } from '../../../../main/engine/train/runner.js';
import type { TrainProgress } from '../../../../main/engine/train/trainer.js';
import { tempDir } from '../../../fixtures/corpus.js';
import { FAULTS, faultyParty } from '../../data/faulty-handler.js';
import type { FaultyParty } from '../../data/faulty-handler.js';

let dir: string;
const runners: TrainingRunner[] = [];
beforeAll(async () => {
  dir = await tempDir('tributary-bad-batches-train-');
});
afterAll(async () => {
  await Promise.all(runners.map((runner) => runner.close()));
  await rm(dir, { recursive: true, force: true });
});

/** A training thread opened on the faulty handler's party (its `model:` is an mlp with the given loss). */
async function opened(
  name: string,
  options: Parameters<typeof faultyParty>[1] = {},
): Promise<{ party: FaultyParty; runner: TrainingRunner }> {
  const party = await faultyParty(path.join(dir, name), options);
  const runner = new TrainingRunner();
  runners.push(runner);
  await runner.open({ configFile: party.configFile, backend: 'cpu' });
  return { party, runner };
}

async function failure(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return (error as Error).message;
}

// Sample 3 is row 1 of batch 2 (of 3): batch 1 trains, then the fault stops the epoch.
describe('training a handler that yields a bad batch (categorical crossentropy, one-hot labels)', () => {
  let party: FaultyParty;
  let runner: TrainingRunner;
  beforeAll(async () => ({ party, runner } = await opened('categorical')));

  it.each(Object.keys(FAULTS) as (keyof typeof FAULTS)[])('%s', async (fault) => {
    await party.setFault(fault);
    expect(await failure(runner.train(1))).toBe(`train failed: ${party.handler}, train split, batch 2 of 3: ${FAULTS[fault](2, 1)}`);
  });

  it('evaluation fails the same way on the test split, and the thread trains on once the handler is fixed', async () => {
    await party.setFault('one-hot');
    expect(await failure(runner.evaluate())).toBe(
      `evaluate failed: ${party.handler}, test split, batch 2 of 3: ${FAULTS['one-hot'](2, 1)}`,
    );
    await party.setFault('none');
    expect((await runner.train(1)).epochs[0]).toMatchObject({ samples: 5, skipped: 0 });
  });
});

describe('the sparse loss (class indices, not one-hot rows) is behind the same checks', () => {
  it.each(['label', 'negative-label', 'nan', 'labels-list'] as const)('%s', async (fault) => {
    const { party, runner } = await opened(`sparse-${fault}`, { loss: 'sparseCategoricalCrossentropy' });
    await party.setFault(fault);
    expect(await failure(runner.train(1))).toBe(`train failed: ${party.handler}, train split, batch 2 of 3: ${FAULTS[fault](2, 1)}`);
    await runner.close();
  });
});

describe('on_non_finite: skip in training', () => {
  it('trains without the sample and counts it in the epoch, never silently; other faults still fail', async () => {
    const { party, runner } = await opened('skip', { onNonFinite: 'skip' });
    await party.setFault('nan');
    const events: TrainProgress[] = [];
    const result = await runner.train(2, { onProgress: (event) => events.push(event) });
    expect(result.epochs.map((e) => [e.samples, e.skipped])).toEqual([
      [4, 1],
      [4, 1],
    ]);
    expect(result.samples).toBe(8);
    expect(events.filter((e) => e.type === 'epoch').map((e) => e.skipped)).toEqual([1, 1]);
    expect(await runner.evaluate()).toMatchObject({ samples: 4, skipped: 1 });
    await party.setFault('label');
    expect(await failure(runner.train(1))).toBe(`train failed: ${party.handler}, train split, batch 2 of 3: ${FAULTS.label(2, 1)}`);
  });
});
