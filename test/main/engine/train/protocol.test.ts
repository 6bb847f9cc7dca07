// Tests (Node, a real training thread): every message the training thread gets is checked; a bad one is answered with an error and the thread goes on.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerScript } from '../../../../main/data/pool/worker-script.js';
import { checkRequest } from '../../../../main/engine/train/protocol.js';
import type { Reply } from '../../../../main/engine/train/protocol.js';

describe('checkRequest', () => {
  it("accepts each request, filling in the model section's defaults", () => {
    expect(checkRequest({ type: 'open', id: 0, configFile: 'party.yaml', model: { builtin: 'mlp' } })).toEqual({
      ok: true,
      request: {
        type: 'open',
        id: 0,
        configFile: 'party.yaml',
        model: { builtin: 'mlp', optimizer: 'adam', learning_rate: 0.001, loss: 'categoricalCrossentropy', metrics: ['accuracy'], seed: 0 },
      },
    });
    const arrays = [{ name: 'dense/bias', shape: [2], dtype: 'float32', data: new Float32Array(2) }];
    for (const request of [
      { type: 'open', id: 0, configFile: 'party.yaml' },
      { type: 'open', id: 0, configFile: 'party.yaml', backend: 'auto' },
      { type: 'train', id: 1, epochs: 2 },
      { type: 'train', id: 1, epochs: 2, progressEveryMs: 0 },
      { type: 'evaluate', id: 2 },
      { type: 'stop', id: 3 },
      { type: 'getWeights', id: 4 },
      { type: 'setWeights', id: 5, arrays },
      { type: 'close', id: 6 },
      { type: 'configure', id: 7, learningRate: 0, batchSize: 32 },
      { type: 'configure', id: 7, learningRate: 0.1 },
      { type: 'configure', id: 7 },
    ]) {
      expect(checkRequest(request)).toEqual({ ok: true, request });
    }
  });

  it('says what is wrong, and keeps the id to answer to when there is a usable one', () => {
    expect(checkRequest('train')).toEqual({ ok: false, id: null, message: expect.stringMatching(/^bad request to the training thread: /) });
    expect(checkRequest({ type: 'fly', id: 3 })).toEqual({
      ok: false,
      id: 3,
      message: expect.stringMatching(/^bad request "fly" to the training thread: type: /),
    });
    expect(checkRequest({ type: 'train', id: 4, epochs: 0 })).toEqual({
      ok: false,
      id: 4,
      message: 'bad request "train" to the training thread: epochs: Too small: expected number to be >=1',
    });
    expect(checkRequest({ type: 'train', id: -1, epochs: 1 })).toMatchObject({ ok: false, id: null });
    expect(checkRequest({ type: 'evaluate', id: 5, extra: true })).toMatchObject({
      ok: false,
      id: 5,
      message: expect.stringContaining('"extra"'),
    });
    expect(checkRequest({ type: 'open', id: 6, configFile: 'p.yaml', model: { builtin: 'mlp' }, backend: 'gpu' })).toMatchObject({
      ok: false,
      id: 6,
      message: expect.stringMatching(/backend: .*"tensorflow"\|"wasm"\|"cpu"/),
    });
    expect(checkRequest({ type: 'configure', id: 8, learningRate: -1, batchSize: 0.5 })).toMatchObject({
      ok: false,
      id: 8,
      message: expect.stringMatching(
        /^bad request "configure" to the training thread: learningRate: Too small: expected number to be >=0; batchSize: .*expected int/,
      ),
    });
    expect(checkRequest({ type: 'setWeights', id: 7, arrays: [{ name: 'w', shape: [1], dtype: 'float64', data: [0] }] })).toMatchObject({
      ok: false,
      id: 7,
      message: expect.stringMatching(/arrays\.0\.dtype: .*; arrays\.0\.data: expected a Float32Array$/),
    });
  });
});

describe('the training thread', () => {
  let worker: Worker;
  const replies: Reply[] = [];
  let arrived: () => void = () => {};
  beforeAll(() => {
    const { script, options } = workerScript(new URL('../../../../main/engine/train/runner.ts', import.meta.url).href, 'training.worker');
    worker = new Worker(script, options);
    worker.on('message', (reply: Reply) => {
      replies.push(reply);
      arrived();
    });
  });
  afterAll(() => worker.terminate());

  async function answer(message: unknown): Promise<Reply> {
    const seen = replies.length;
    const next = new Promise<void>((resolve) => (arrived = resolve));
    worker.postMessage(message);
    await next;
    expect(replies).toHaveLength(seen + 1);
    return replies.at(-1)!;
  }

  it('answers malformed messages with an error, and still serves the next good one', async () => {
    expect(await answer(42)).toEqual({ type: 'error', id: null, message: expect.stringMatching(/^bad request to the training thread/) });
    expect(await answer({ type: 'train' })).toEqual({ type: 'error', id: null, message: expect.stringContaining('bad request "train"') });
    expect(await answer({ type: 'explode', id: 9 })).toEqual({
      type: 'error',
      id: 9,
      message: expect.stringContaining('bad request "explode"'),
    });
    expect(await answer({ type: 'setWeights', id: 10, arrays: 'all of them' })).toEqual({
      type: 'error',
      id: 10,
      message: expect.stringContaining('arrays: '),
    });
    expect(await answer({ type: 'stop', id: 11 })).toEqual({ type: 'stopping', id: 11, stopping: null });
    expect(await answer({ type: 'getWeights', id: 12 })).toEqual({
      type: 'error',
      id: 12,
      message: 'getWeights failed: nothing is open: send open (a config file) first',
    });
    expect(await answer({ type: 'configure', id: 20, batchSize: 8 })).toEqual({
      type: 'error',
      id: 20,
      message: 'configure failed: nothing is open: send open (a config file) first',
    });
    expect(await answer({ type: 'close', id: 13 })).toEqual({ type: 'closed', id: 13 });
    expect(await answer({ type: 'evaluate', id: 14 })).toEqual({
      type: 'error',
      id: 14,
      message: 'evaluate refused: the training thread is closing',
    });
  });
});
