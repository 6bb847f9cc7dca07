// Runs in the party (plain Node): what a message from the server asks this site to do, read from its type and record keys.
import type { AnyNdArray } from '../wire/npy/dtypes.js';
import type { ArrayRecord, ConfigRecord, ConfigValue, Message, RecordDict } from '../wire/records/model.js';

/**
 * message: Flower's Message API (FedAvg in flwr.serverapp): "arrays" + "config" in, "arrays" + "metrics" out.
 * legacy: the strategies in flwr.server.strategy through Flower's compat layer: "fitins.*" / "evaluateins.*" in,
 * "fitres.*" / "evaluateres.*" out, arrays named "0", "1", ...
 */
export type TaskStyle = 'message' | 'legacy';

export interface NamedNdArray {
  name: string;
  array: AnyNdArray;
}

/** Train or evaluate on the server's arrays, with the round's config. */
export interface WorkTask {
  kind: 'train' | 'evaluate';
  style: TaskStyle;
  arraysKey: string;
  arrays: NamedNdArray[];
  config: Map<string, ConfigValue>;
}

/** The legacy strategies' questions: the site's current parameters, its properties. */
export type QueryTask = { kind: 'get_parameters'; style: 'legacy' } | { kind: 'get_properties'; style: 'legacy' };

export type Task = WorkTask | QueryTask;

/** The message cannot be served as sent; the text says which key or type is at fault. */
export class TaskRefused extends Error {
  override readonly name = 'TaskRefused';
}

export function readTask(message: Message): Task {
  const type = message.metadata.messageType;
  const content = message.content;
  if (!content) throw new TaskRefused(`"${type}" message has no content`);
  if (type === 'train' || type === 'evaluate') return workTask(type, content);
  if (type === 'get_parameters') return { kind: 'get_parameters', style: 'legacy' };
  if (type === 'get_properties') return { kind: 'get_properties', style: 'legacy' };
  throw new TaskRefused(`message type "${type}" is not served by this site (it serves train, evaluate, get_parameters, get_properties)`);
}

function workTask(kind: WorkTask['kind'], content: RecordDict): WorkTask {
  const legacyPrefix = kind === 'train' ? 'fitins' : 'evaluateins';
  if (content.has(`${legacyPrefix}.parameters`)) {
    const arraysKey = `${legacyPrefix}.parameters`;
    const config = content.get(`${legacyPrefix}.config`);
    return {
      kind,
      style: 'legacy',
      arraysKey,
      arrays: arraysOf(needArrays(content, arraysKey)),
      config: config?.kind === 'config' ? config.items : new Map(),
    };
  }
  const arraysKey = pick(content, 'arrays', 'arrays');
  if (arraysKey === undefined)
    throw new TaskRefused(`"${kind}" message: expected one ArrayRecord ("arrays"), found ${describeKeys(content)}`);
  const configKey = pick(content, 'config', 'config');
  const config = configKey === undefined ? new Map<string, ConfigValue>() : (content.get(configKey) as ConfigRecord).items;
  return { kind, style: 'message', arraysKey, arrays: arraysOf(needArrays(content, arraysKey)), config };
}

/** The record under the customary key, else the only record of that kind (FedAvg's keys are configurable). */
function pick(content: RecordDict, key: string, kind: 'arrays' | 'config'): string | undefined {
  if (content.get(key)?.kind === kind) return key;
  const ofKind = [...content].filter(([, record]) => record.kind === kind);
  return ofKind.length === 1 ? ofKind[0]![0] : undefined;
}

function needArrays(content: RecordDict, key: string): ArrayRecord {
  const record = content.get(key);
  if (record?.kind !== 'arrays')
    throw new TaskRefused(`record "${key}" should be an ArrayRecord, is ${record ? `a ${record.kind} record` : 'missing'}`);
  return record;
}

function arraysOf(record: ArrayRecord): NamedNdArray[] {
  return [...record.items].map(([name, array]) => ({ name, array }));
}

function describeKeys(content: RecordDict): string {
  const keys = [...content].map(([key, record]) => `"${key}" (${record.kind})`);
  return keys.length ? keys.join(', ') : 'no records';
}
