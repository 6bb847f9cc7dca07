// Runs anywhere: the bodies of ConfigRecord and MetricRecord objects (their serialized protobuf records).
import { WireError, describeValue, withContext } from '../errors.js';
import { MAX_NAME_CHARS, MAX_SETTING_BYTES } from '../limits.js';
import { wireCodecs } from '../proto/codecs.js';
import type { ConfigRecordValueProto } from '../proto/record-types.js';
import { configRecord, metricRecord, type ConfigRecord, type ConfigValue, type MetricRecord, type MetricValue } from './model.js';
import { configValueToProto, metricValueToProto, valueFromProto } from './values.js';

export function configRecordBody(record: ConfigRecord): Uint8Array {
  return wireCodecs.ConfigRecord.encode({
    items: [...record.items].map(([key, value]) => ({ key, value: configValueToProto(value, key) })),
  });
}

export function metricRecordBody(record: MetricRecord): Uint8Array {
  return wireCodecs.MetricRecord.encode({
    items: [...record.items].map(([key, value]) => ({ key, value: metricValueToProto(value, key) })),
  });
}

/** `maxSettingBytes` bounds each string or bytes value (each item of a list); larger only where a protocol puts data there (SecAgg+). */
export function configRecordFromBody(body: Uint8Array, what: string, maxSettingBytes = MAX_SETTING_BYTES): ConfigRecord {
  return withContext(what, () => configRecord(entriesFrom(wireCodecs.ConfigRecord.decode(body).items, maxSettingBytes)));
}

/** A MetricRecord body decodes with the MetricRecordValue oneof, so only metric types can come out. */
export function metricRecordFromBody(body: Uint8Array, what: string): MetricRecord {
  return withContext(what, () =>
    metricRecord(entriesFrom(wireCodecs.MetricRecord.decode(body).items, MAX_SETTING_BYTES) as [string, MetricValue][]),
  );
}

function entriesFrom(items: { key: string; value?: ConfigRecordValueProto }[], maxSettingBytes: number): [string, ConfigValue][] {
  const seen = new Set<string>();
  return items.map(({ key, value }) => {
    if (key.length > MAX_NAME_CHARS)
      throw new WireError(`a key of ${key.length} characters (at most ${MAX_NAME_CHARS}): ${describeValue(key)}`);
    if (seen.has(key)) throw new WireError(`key ${JSON.stringify(key)} appears twice`);
    seen.add(key);
    if (!value) throw new WireError(`key ${JSON.stringify(key)} has no value`);
    const decoded = valueFromProto(value);
    const size = settingSize(decoded);
    if (size > maxSettingBytes) {
      throw new WireError(`key ${JSON.stringify(key)}: a value ${size} long; a setting is at most ${maxSettingBytes} characters or bytes`);
    }
    return [key, decoded];
  });
}

/** The length of a string or bytes value (each item's, the longest, for a list); 0 for numbers and booleans. */
function settingSize(value: ConfigValue): number {
  const items: unknown[] = Array.isArray(value) ? value : [value];
  return items.reduce<number>(
    (longest, item) => Math.max(longest, typeof item === 'string' || item instanceof Uint8Array ? item.length : 0),
    0,
  );
}
