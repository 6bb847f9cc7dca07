// Runs anywhere: the bodies of ConfigRecord and MetricRecord objects (their serialized protobuf records).
import { WireError, withContext } from '../errors.js';
import { wireCodecs } from '../proto/codecs.js';
import type { ConfigRecordValueProto } from '../proto/record-types.js';
import { configRecord, metricRecord, type ConfigRecord, type ConfigValue, type MetricRecord, type MetricValue } from './model.js';
import { configValueToProto, metricValueToProto, valueFromProto } from './values.js';

export function configRecordBody(record: ConfigRecord): Uint8Array {
  return wireCodecs.ConfigRecord.encode({ items: [...record.items].map(([key, value]) => ({ key, value: configValueToProto(value, key) })) });
}

export function metricRecordBody(record: MetricRecord): Uint8Array {
  return wireCodecs.MetricRecord.encode({ items: [...record.items].map(([key, value]) => ({ key, value: metricValueToProto(value, key) })) });
}

export function configRecordFromBody(body: Uint8Array, what: string): ConfigRecord {
  return withContext(what, () => configRecord(entriesFrom(wireCodecs.ConfigRecord.decode(body).items)));
}

/** A MetricRecord body decodes with the MetricRecordValue oneof, so only metric types can come out. */
export function metricRecordFromBody(body: Uint8Array, what: string): MetricRecord {
  return withContext(what, () => metricRecord(entriesFrom(wireCodecs.MetricRecord.decode(body).items) as [string, MetricValue][]));
}

function entriesFrom(items: { key: string; value?: ConfigRecordValueProto }[]): [string, ConfigValue][] {
  const seen = new Set<string>();
  return items.map(({ key, value }) => {
    if (seen.has(key)) throw new WireError(`key ${JSON.stringify(key)} appears twice`);
    seen.add(key);
    if (!value) throw new WireError(`key ${JSON.stringify(key)} has no value`);
    return [key, valueFromProto(value)];
  });
}
