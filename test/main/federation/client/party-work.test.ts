// Tests (Node, real sockets, a real training thread): the work a message asks for: legacy strategy keys,
// positional array names, round settings within the operator's bounds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoundSettings } from '../../../../main/engine/train/runner.js';
import type { WorkRunner } from '../../../../main/federation/client/work.js';
import { configRecord, recordDict, type AnyRecord, type RecordDict } from '../../../../main/federation/wire/records/model.js';
import { FakeFleet, waitFor } from './fake-fleet.js';
import { fedAvgContent, instruction, legacyInstruction } from './instructions.js';
import {
  errorsOf,
  openRunner,
  startParty,
  TEST_SAMPLES,
  TRAIN_SAMPLES,
  type JoinedParty,
  type OpenedRunner,
  type PartyOverrides,
} from './party-fixture.js';

let opened: OpenedRunner;
/** Every round setting the party applied, in order. */
const configured: RoundSettings[] = [];
let spied: WorkRunner;
beforeAll(async () => {
  opened = await openRunner();
  const { runner } = opened;
  spied = {
    getWeights: () => runner.getWeights(),
    setWeights: (arrays) => runner.setWeights(arrays),
    train: (epochs, options) => runner.train(epochs, options),
    evaluate: () => runner.evaluate(),
    stop: () => runner.stop(),
    configure: (settings) => {
      configured.push(settings);
      return runner.configure(settings);
    },
  };
});
afterAll(() => opened.runner.close());

async function withParty(
  overrides: PartyOverrides,
  use: (fleet: FakeFleet, joined: JoinedParty, nodeId: bigint) => Promise<void>,
): Promise<void> {
  const fleet = await FakeFleet.start('grpc');
  const joined = await startParty(fleet, { runner: spied, info: opened.info }, overrides);
  try {
    await use(fleet, joined, await fleet.activeNode());
  } finally {
    await joined.party.leave({ finish: false });
    await fleet.close();
  }
}

const record = (content: RecordDict | undefined, key: string): AnyRecord | undefined => content?.get(key);
const items = (content: RecordDict | undefined, key: string) => Object.fromEntries(record(content, key)?.items ?? []);

describe("Flower's older strategies (compat keys)", () => {
  it('answers fitins.* with fitres.*, evaluateins.* with evaluateres.*, and get_parameters with getparametersres.*', async () => {
    await withParty({}, async (fleet, joined, nodeId) => {
      // Arrays as the compat layer sends them: dtype "" and shape [], the .npy header saying both.
      const fit = await fleet.send(legacyInstruction(nodeId, 'fitins', opened.weights, { lr: 0.01 }, { type: 'train' }));
      const fitres = fit.message.content!;
      expect([...fitres.keys()]).toEqual(['fitres.metrics', 'fitres.num_examples', 'fitres.parameters', 'fitres.status']);
      expect([...record(fitres, 'fitres.parameters')!.items.keys()]).toEqual(['0', '1', '2', '3']);
      expect(items(fitres, 'fitres.num_examples')).toEqual({ num_examples: BigInt(TRAIN_SAMPLES) });
      expect(Object.keys(items(fitres, 'fitres.metrics'))).toEqual(['train_loss', 'train_acc']);
      expect(items(fitres, 'fitres.status')).toEqual({ code: 0n, message: 'Success' });

      const evaluate = await fleet.send(legacyInstruction(nodeId, 'evaluateins', opened.weights, {}, { type: 'evaluate' }));
      const evaluateres = evaluate.message.content!;
      expect([...evaluateres.keys()]).toEqual([
        'evaluateres.loss',
        'evaluateres.num_examples',
        'evaluateres.metrics',
        'evaluateres.status',
      ]);
      expect(items(evaluateres, 'evaluateres.num_examples')).toEqual({ num_examples: BigInt(TEST_SAMPLES) });
      expect(typeof items(evaluateres, 'evaluateres.loss').loss).toBe('number');

      const parameters = await fleet.send(
        instruction(nodeId, recordDict({ 'getparametersins.config': configRecord({}) }), { type: 'get_parameters' }),
      );
      const arrays = record(parameters.message.content, 'getparametersres.parameters');
      expect(arrays?.kind === 'arrays' && [...arrays.items.values()].map((a) => a.shape)).toEqual(opened.weights.map((w) => w.shape));
      expect(errorsOf(joined.events)).toEqual([]);
    });
  });
});

describe('the Message API with positional names', () => {
  it('takes arrays named "0", "1", ... (an ArrayRecord built from a list) by position and answers under the same names', async () => {
    await withParty({}, async (fleet, _, nodeId) => {
      const names = opened.weights.map((_, index) => String(index));
      const reply = await fleet.send(instruction(nodeId, fedAvgContent(opened.weights, {}, names), { type: 'train' }));
      expect([...record(reply.message.content, 'arrays')!.items.keys()]).toEqual(names);
    });
  });
});

describe("round settings within the operator's bounds", () => {
  it('clamps what is out of bounds (and says so), and restores the model’s own settings for a round that sets none', async () => {
    const bounds = { learning_rate: { min: 0.001, max: 0.1 }, batch_size: { min: 16, max: 128 }, epochs: { max: 2 } };
    await withParty({ bounds }, async (fleet, joined, nodeId) => {
      configured.length = 0;
      await fleet.send(
        instruction(nodeId, fedAvgContent(opened.weights, { lr: 5, 'batch-size': 4n, 'local-epochs': 7n }), { type: 'train' }),
      );
      expect(configured).toEqual([{ learningRate: 0.1, batchSize: 16 }]);
      const notices = joined.events.flatMap((event) => (event.type === 'notice' ? [event.message] : []));
      expect(notices).toEqual(
        expect.arrayContaining([
          'config "lr" = 5 clamped to 0.1 (the site allows 0.001 to 0.1)',
          'config "batch-size" = 4 clamped to 16 (the site allows 16 to 128)',
          'config "local-epochs" = 7 clamped to 2 (the site allows 1 to 2)',
        ]),
      );
      expect(joined.events.filter((event) => event.type === 'training').at(-1)).toMatchObject({ epochs: 2 });

      await fleet.send(instruction(nodeId, fedAvgContent(opened.weights), { type: 'train' }));
      expect(configured.at(-1)).toEqual({ learningRate: opened.info.settings.learningRate, batchSize: opened.info.settings.batchSize });
    });
  });

  it('refuses a round that asks for too much when the bounds say refuse', async () => {
    await withParty({ bounds: { epochs: { max: 2 }, out_of_bounds: 'refuse' } }, async (fleet, joined, nodeId) => {
      const reply = await fleet.send(instruction(nodeId, fedAvgContent(opened.weights, { 'local-epochs': 50n }), { type: 'train' }));
      expect(reply.message.error).toEqual({
        code: 2n,
        reason: expect.stringMatching(/config "local-epochs" = 50 is out of bounds: the site allows 1 to 2$/),
      });
      await waitFor(() => errorsOf(joined.events).length === 1, 5_000, 'the error event');
    });
  });
});
