// Test helper (plain Node): a scripted node answering SecAgg+ with the party's own SecAggPlusClient, its "training" a known change.
import { SecAggPlusClient } from '../../../../main/federation/secagg/client.js';
import type { Stage } from '../../../../main/federation/secagg/protocol.js';
import {
  arrayRecord,
  configRecord,
  metricRecord,
  type AnyRecord,
  type ConfigValue,
  type RecordDict,
} from '../../../../main/federation/wire/records/model.js';
import type { Behaviour } from './fake-node.js';

export interface SecAggNodeOptions {
  /** Added to every received weight. */
  delta: number;
  numExamples: number;
  /** The last stage it answers; at the next it leaves the federation (a dropout). */
  lastStage?: Stage;
  /** Rewrites its secaggplus_configs reply at one stage (a broken or hostile node). */
  tamper?: { stage: Stage; edit: (reply: Map<string, ConfigValue>) => void };
}

const STAGES: Stage[] = ['setup', 'share_keys', 'collect_masked_vectors', 'unmask'];

/** Serves train messages as Flower's secaggplus_mod over the legacy FitIns; evaluate as FedAvg's parties do. */
export function secAggNode(options: SecAggNodeOptions): Behaviour {
  const client = new SecAggPlusClient();
  return async (message, node) => {
    const count = BigInt(options.numExamples);
    if (message.metadata.messageType === 'evaluate')
      return new Map([['metrics', metricRecord({ 'num-examples': count, eval_loss: options.delta, eval_acc: 0.5 })]]);
    const configs = message.content!.get('secaggplus_configs');
    if (configs?.kind !== 'config') throw new Error('a train message without secaggplus_configs');
    const stage = configs.items.get('stage') as Stage;
    if (options.lastStage && STAGES.indexOf(stage) > STAGES.indexOf(options.lastStage)) return 'unregister';
    const reply = await client.handle(node.nodeId, configs.items, async () => {
      const fitins = message.content!.get('fitins.parameters');
      if (fitins?.kind !== 'arrays') throw new Error('collect_masked_vectors without fitins.parameters');
      const arrays = [...fitins.items.values()].map((array) => ({
        shape: array.shape,
        data: Float32Array.from(array.data as Float32Array, (value) => value + options.delta),
      }));
      return { arrays, numExamples: options.numExamples };
    });
    if (options.tamper?.stage === stage) options.tamper.edit(reply);
    const records: [string, AnyRecord][] =
      stage === 'collect_masked_vectors'
        ? [
            ['fitres.metrics', configRecord({ train_loss: options.delta })],
            ['fitres.num_examples', metricRecord({ num_examples: count })],
            ['fitres.parameters', arrayRecord([])],
            ['fitres.status', configRecord({ code: 0n, message: 'Success' })],
          ]
        : [];
    return new Map([...records, ['secaggplus_configs', configRecord(reply)]]) as RecordDict;
  };
}
