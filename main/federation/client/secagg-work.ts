// Runs in the party (plain Node): a train message carrying Flower's secaggplus_configs, served as Flower's secaggplus_mod serves it.
import type { SecAggPlusClient } from '../secagg/client.js';
import { SecAggError } from '../secagg/errors.js';
import type { FitOutcome } from '../secagg/masking.js';
import { RECORD_KEY_CONFIGS } from '../secagg/protocol.js';
import type { AnyNdArray } from '../wire/npy/dtypes.js';
import {
  arrayRecord,
  configRecord,
  recordDict,
  type AnyRecord,
  type ConfigRecord,
  type Message,
  type RecordDict,
} from '../wire/records/model.js';
import { readTask, TaskRefused } from './task.js';
import { checkParties } from '../privacy/policy.js';
import type { PrivacyAudit } from '../privacy/site-privacy.js';
import { doWork, PrivacyDeclined, type WorkContext, type WorkDone, type WorkRound } from './work.js';

/** Flower's SecAggPlusWorkflow sends every stage as a "train" message with this ConfigRecord. */
export function isSecAggMessage(message: Message): boolean {
  return message.metadata.messageType === 'train' && message.content?.get(RECORD_KEY_CONFIGS)?.kind === 'config';
}

/**
 * Runs the stage in the message. collect_masked_vectors also trains on the legacy FitIns it carries; like Flower's
 * mod, the reply keeps fitres.num_examples, fitres.metrics and fitres.status, empties fitres.parameters, and the
 * weights leave only masked, in secaggplus_configs.
 */
export async function secAggWork(
  message: Message,
  nodeId: bigint,
  round: WorkRound,
  work: WorkContext,
  client: SecAggPlusClient,
): Promise<WorkDone> {
  const content = message.content!;
  const configs = (content.get(RECORD_KEY_CONFIGS) as ConfigRecord).items;
  checkPartyCount(configs, work);
  let trained: WorkDone | undefined;
  const reply = await client.handle(nodeId, configs, async () => {
    const fitIns = [...content].filter(([key]) => key !== RECORD_KEY_CONFIGS).map(([key, record]) => [key, asFloat32(record)] as const);
    const task = readTask({ ...message, content: recordDict(fitIns) });
    if (task.kind !== 'train' || task.style !== 'legacy')
      throw new TaskRefused(
        'SecAgg+ collect_masked_vectors: expected the legacy FitIns ("fitins.parameters"), as SecAggPlusWorkflow sends',
      );
    trained = await doWork(task, { ...round, secure: true }, work);
    return fitOutcome(trained.content);
  });
  const out = trained ? withoutArrays(trained.content) : recordDict([]);
  out.set(RECORD_KEY_CONFIGS, configRecord(reply));
  // The reply that carries the update (collect_masked_vectors) says in its audit line that it left masked.
  const privacy = trained ? { ...(trained.privacy ?? LEFT_AS_TRAINED), masked: true as const } : null;
  return { content: out, metrics: trained?.metrics ?? {}, privacy };
}

/** An update the site's policy neither clipped nor noised. */
const LEFT_AS_TRAINED: PrivacyAudit = { clippingNorm: null, clippingNormFrom: null, scaledDown: false, noised: false };

/** The site's policy may ask for a minimum number of parties: setup's sample_num says how many the sum is over. */
function checkPartyCount(configs: ReadonlyMap<string, unknown>, work: WorkContext): void {
  const parties = configs.get('sample_num');
  if (!work.privacy || configs.get('stage') !== 'setup' || typeof parties !== 'bigint') return;
  const declined = checkParties(work.privacy.policy, Number(parties));
  if (declined) throw new PrivacyDeclined(declined);
}

function fitOutcome(content: RecordDict): FitOutcome {
  const parameters = content.get('fitres.parameters');
  const count = content.get('fitres.num_examples')?.items.get('num_examples');
  if (parameters?.kind !== 'arrays' || typeof count !== 'bigint')
    throw new SecAggError('SecAgg+ collect_masked_vectors: training gave no fitres');
  const arrays = [...parameters.items.values()].map((array) => {
    if (array.dtype !== 'float32') throw new SecAggError(`SecAgg+ collect_masked_vectors: a trained array is ${array.dtype}, not float32`);
    return { shape: array.shape, data: array.data };
  });
  return { arrays, numExamples: Number(count) };
}

/**
 * SecAggPlusWorkflow's aggregate is float64 (its dequantisation computes in float64), so from the second round on the
 * global model arrives as float64: narrowed to the model's float32 here, and checked (finite, shapes) as any weights.
 */
function asFloat32(record: AnyRecord): AnyRecord {
  if (record.kind !== 'arrays') return record;
  return arrayRecord(
    [...record.items].map(([name, array]): [string, AnyNdArray] => [
      name,
      array.dtype === 'float64' ? { dtype: 'float32', shape: array.shape, data: Float32Array.from(array.data) } : array,
    ]),
  );
}

function withoutArrays(content: RecordDict): RecordDict {
  return recordDict([...content].map(([key, record]) => [key, record.kind === 'arrays' ? arrayRecord([]) : record]));
}
