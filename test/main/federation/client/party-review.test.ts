// Tests (Node, real sockets, real training threads): task review with the reference aggregator: a run waits for the operator's
// approval, is declined with a reason, approved within bounds, held when outside them, and remembered across a restart.
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewSectionSchema, type ReviewSection } from '../../../../common/review-config.js';
import { readAuditLog } from '../../../../main/federation/client/audit-log.js';
import { Party } from '../../../../main/federation/client/party.js';
import type { PartyEvent } from '../../../../main/federation/client/party-events.js';
import { Aggregator } from '../../../../main/federation/server/aggregator.js';
import { waitFor } from '../../../integration/fixtures.js';
import { errorsOf, openRunner, startParty, TRAIN_SAMPLES, type OpenedRunner } from './party-fixture.js';
import { partyAggregatorConfig } from '../server/harness.js';

/** The aggregator's MLP on 28x28x1 inputs, 10 classes: 784*128+128 + 128*10+10. */
const MLP_PARAMETERS = 101_770;

let opened: OpenedRunner;
beforeAll(async () => {
  opened = await openRunner();
});
afterAll(() => opened.runner.close());

async function startAggregator(rounds: number) {
  const out = await mkdtemp(path.join(os.tmpdir(), 'tributary-review-'));
  const config = partyAggregatorConfig(out, { rounds, min_nodes: 1, linger: 0 });
  const aggregator = new Aggregator(config, out);
  const { grpc } = await aggregator.start();
  return { aggregator, address: grpc!, runId: String(aggregator.state.runId) };
}

async function withFederation(
  rounds: number,
  review: ReviewSection,
  body: (f: { aggregator: Aggregator; runId: string } & Awaited<ReturnType<typeof startParty>>) => Promise<void>,
) {
  const { aggregator, address, runId } = await startAggregator(rounds);
  const joined = await startParty({ address, kind: 'grpc' }, opened, { heartbeatIntervalSec: 10, options: { review, modelName: 'mlp' } });
  try {
    await body({ aggregator, runId, ...joined });
  } finally {
    await joined.party.leave({ finish: false });
    await aggregator.close();
  }
}

const rounds = (events: PartyEvent[]) =>
  events.flatMap((event) => (event.type === 'round' ? [[event.messageType, event.round, event.outcome, event.error]] : []));
const reviewing = (events: PartyEvent[]) => events.some((event) => event.type === 'reviewing');
const reviewLines = async (dir: string) =>
  (await readAuditLog(path.join(dir, 'federation-audit.jsonl'))).flatMap((entry) => (entry.review ? [entry.review] : []));

describe('task review with the reference aggregator', () => {
  it('ask: the run waits with its task shown, trains once approved, and a restarted party does not ask again', async () => {
    await withFederation(1, ReviewSectionSchema.parse({ mode: 'ask' }), async ({ aggregator, runId, party, events, dir, section }) => {
      const result = aggregator.run();
      await waitFor(() => party.review?.pending !== null && party.state.type === 'reviewing', 30_000, 'the task to wait for approval');
      expect(party.state).toMatchObject({ type: 'reviewing', runId, round: 1 });
      expect(party.review!.pending!.task).toEqual({
        runId,
        messageType: 'train',
        round: 1,
        rounds: null,
        model: { name: 'mlp', arrays: 4, parameters: MLP_PARAMETERS },
        localEpochs: 1,
        learningRate: 0.01,
        batchSize: 64,
        setByServer: ['local epochs', 'learning rate', 'batch size'],
        sends: [`the trained weights (4 arrays, ${MLP_PARAMETERS} parameters)`, 'train_loss', 'train_acc', 'num-examples'],
      });
      await party.review!.decide(runId, true);
      const { records } = await result;
      expect(records.map((record) => record.status)).toEqual(['completed']);
      expect(rounds(events)).toEqual([
        ['train', 1, 'replied', null],
        ['evaluate', 1, 'replied', null],
      ]);
      expect(errorsOf(events)).toEqual([]);
      expect((await reviewLines(dir)).map(({ state, by }) => [state, by])).toEqual([
        ['waiting', null],
        ['approved', 'operator'],
      ]);

      // A party started again on the same folder finds the run approved: the same run's next message is served without waiting.
      const again = new Party({
        section,
        baseDir: dir,
        runner: opened.runner,
        settings: opened.info.settings,
        review: party.review!.section,
      });
      const view = await again.review!.view();
      expect(view.decisions.map(({ runId: run, decision, by }) => [run, decision, by])).toEqual([[runId, 'approved', 'operator']]);
      const task = { kind: 'train' as const, style: 'message' as const, arraysKey: 'arrays', arrays: [], config: new Map() };
      const facts = { defaults: opened.info.settings, localEpochs: 1 };
      expect(await again.review!.admit(task, { runId, round: 2 }, facts)).toBeNull();
      expect(again.review!.pending).toBeNull();
    });
  }, 120_000);

  it("a declined run's train messages are declined with the operator's reason, in the replies and the audit log", async () => {
    await withFederation(2, ReviewSectionSchema.parse({}), async ({ aggregator, runId, party, events, dir }) => {
      const result = aggregator.run();
      await waitFor(() => party.review?.pending !== null && party.review?.pending?.task.runId === runId, 30_000, 'the task to wait');
      await party.review!.decide(runId, false, 'not a model\nwe agreed to train');
      const { records } = await result;
      expect(records.map((record) => record.status)).toEqual(['failed', 'failed']);
      const reason = `this site declined "train": run ${runId} was declined by this site's operator: not a model we agreed to train`;
      expect(rounds(events)).toEqual([
        ['train', 1, 'declined', reason],
        ['train', 2, 'declined', reason],
      ]);
      expect(await reviewLines(dir)).toMatchObject([
        { state: 'waiting', by: null, reason: null, task: { runId } },
        { state: 'declined', by: 'operator', reason: reason.replace('this site declined "train": ', '') },
      ]);
      const lines = await readAuditLog(path.join(dir, 'federation-audit.jsonl'));
      // The declined run's second model is not even pulled: its received line carries no bytes, and the reason.
      expect(
        lines.filter((entry) => entry.direction === 'received' && !entry.review).map((entry) => [entry.bytes > 0, entry.error]),
      ).toEqual([
        [true, null],
        [false, reason],
      ]);
      const sent = lines.filter((entry) => entry.direction === 'sent');
      expect(sent.map((entry) => [entry.outcome, entry.error])).toEqual([
        ['declined', reason],
        ['declined', reason],
      ]);
      const file = JSON.parse(await readFile(path.join(dir, 'federation-audit.jsonl.review.json'), 'utf8'));
      expect(file.runs).toMatchObject([{ runId, decision: 'declined', by: 'operator', reason: 'not a model we agreed to train' }]);
    });
  }, 120_000);

  it('auto_within_bounds: a task within the bounds trains without asking', async () => {
    const review = ReviewSectionSchema.parse({
      mode: 'auto_within_bounds',
      bounds: { learning_rate: { min: 0.001, max: 0.1 }, max_epochs: 2, batch_sizes: [32, 64], max_parameters: 200_000, max_rounds: 1 },
    });
    await withFederation(1, review, async ({ aggregator, runId, events, dir }) => {
      const { records } = await aggregator.run();
      expect(records.map((record) => record.status)).toEqual(['completed']);
      expect(reviewing(events)).toBe(false);
      expect(rounds(events)).toEqual([
        ['train', 1, 'replied', null],
        ['evaluate', 1, 'replied', null],
      ]);
      expect(
        events.flatMap((event) => (event.type === 'round' && event.messageType === 'train' ? [event.metrics['num-examples']] : [])),
      ).toEqual([TRAIN_SAMPLES]);
      expect(await reviewLines(dir)).toEqual([{ state: 'approved', by: 'bounds', reason: null }]);
      const file = JSON.parse(await readFile(path.join(dir, 'federation-audit.jsonl.review.json'), 'utf8'));
      expect(file.runs).toMatchObject([{ runId, decision: 'approved', by: 'bounds', task: { model: { parameters: MLP_PARAMETERS } } }]);
    });
  }, 120_000);

  it('auto_within_bounds: a task outside them waits for the operator, and is declined as not approved in time', async () => {
    const review = ReviewSectionSchema.parse({ mode: 'auto_within_bounds', bounds: { max_parameters: 50_000 }, max_wait: 1.5 });
    await withFederation(1, review, async ({ aggregator, party, events, dir }) => {
      const result = aggregator.run();
      await waitFor(() => party.review?.pending !== null, 30_000, 'the task to wait');
      expect(party.review!.pending!.outside).toBe(
        `the model has ${MLP_PARAMETERS} parameters, more than this site's review bounds allow (50000)`,
      );
      const { records } = await result;
      expect(records.map((record) => record.status)).toEqual(['failed']);
      expect(rounds(events)).toEqual([
        ['train', 1, 'declined', expect.stringMatching(/^this site declined "train": not approved in time \(waited [12] s/)],
      ]);
      expect((await reviewLines(dir)).map(({ state, by }) => [state, by])).toEqual([
        ['waiting', null],
        ['declined', 'timeout'],
      ]);
      expect((await party.review!.view()).decisions).toEqual([]); // not answering is no decision: the next message asks again
    });
  }, 120_000);
});
