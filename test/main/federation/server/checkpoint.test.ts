// Tests (plain Node, real files): checkpoints as .npy files numpy can load, written atomically; the metrics history's JSON lines.
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../../../main/federation/server/checkpoint.js';
import { appendRoundRecord, readRoundRecords, type RoundRecord } from '../../../../main/federation/server/metrics-history.js';

const weights = [
  { name: 'conv2d/kernel', shape: [2, 1], dtype: 'float32' as const, data: Float32Array.from([0.5, -1.25]) },
  { name: 'conv2d/bias', shape: [1], dtype: 'float32' as const, data: Float32Array.from([3]) },
];

describe('checkpoints', () => {
  it('writes one .npy per array and a manifest, leaves no temporary folder, and reads back the same arrays', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-checkpoint-'));
    const folder = await writeCheckpoint(dir, 3, weights);
    expect(path.basename(folder)).toBe('round-0003');
    expect(await readdir(dir)).toEqual(['round-0003']);
    expect((await readdir(folder)).sort()).toEqual(['000-conv2d_kernel.npy', '001-conv2d_bias.npy', 'manifest.json']);
    const npy = await readFile(path.join(folder, '000-conv2d_kernel.npy'));
    expect(npy.subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    expect(npy.toString('latin1')).toContain("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }");
    const { manifest, weights: read } = await readCheckpoint(folder);
    expect(manifest.round).toBe(3);
    expect(read).toEqual(weights);
    // Writing the same round again replaces it whole.
    await writeCheckpoint(dir, 3, [weights[0]!]);
    expect((await readCheckpoint(folder)).weights).toEqual([weights[0]]);
  });
});

describe('metrics history', () => {
  it('appends a JSON line per round and names the line that does not parse', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'tributary-metrics-')), 'run', 'metrics.jsonl');
    const record = { round: 1, status: 'completed', eval_accuracy: 0.9 } as unknown as RoundRecord;
    await appendRoundRecord(file, record);
    await appendRoundRecord(file, { ...record, round: 2 });
    expect((await readRoundRecords(file)).map((r) => r.round)).toEqual([1, 2]);
    await writeFile(file, '{"round": 1}\n{oops\n');
    await expect(readRoundRecords(file)).rejects.toThrow(/metrics.jsonl:2: not a JSON line/);
  });
});
