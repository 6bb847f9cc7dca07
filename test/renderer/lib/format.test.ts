// Tests (Node): how the pages write metrics, sizes, durations and times.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDayTime, formatDuration, formatMetric, formatTime } from '../../../renderer/lib/format.js';

describe('format', () => {
  it('writes a metric with three significant digits, and a dash for none', () => {
    expect(formatMetric(0.123456)).toBe('0.123');
    expect(formatMetric(2.5)).toBe('2.5');
    expect(formatMetric(12345.6)).toBe('12,346');
    expect(formatMetric(null)).toBe('—');
    expect(formatMetric(undefined)).toBe('—');
    expect(formatMetric(NaN)).toBe('—');
  });

  it('writes sizes in decimal units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.5 kB');
    expect(formatBytes(409_640)).toBe('410 kB');
    expect(formatBytes(2_500_000_000)).toBe('2.5 GB');
  });

  it('writes durations in their two largest units', () => {
    expect(formatDuration(0.4)).toBe('0.4 s');
    expect(formatDuration(3)).toBe('3 s');
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(180)).toBe('3 min');
    expect(formatDuration(7800)).toBe('2 h 10 min');
    expect(formatDuration(-3)).toBe('0 s');
  });

  it('writes an ISO time as the local time of day, and leaves text that is no time as it is', () => {
    expect(formatTime('2026-01-01T12:34:56.000Z')).toMatch(/^\d{2}:\d{2}:56$/);
    expect(formatTime('soon')).toBe('soon');
  });

  it('writes an ISO time as the local day and time of day', () => {
    expect(formatDayTime('2026-11-24T12:34:56.000Z')).toMatch(/^2[345] Nov, \d{2}:34$/);
    expect(formatDayTime('soon')).toBe('soon');
  });
});
