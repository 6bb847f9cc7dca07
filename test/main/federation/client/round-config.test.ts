// Tests (Node): a round's settings read from its config under every common spelling, and held to the operator's bounds.
import { describe, expect, it } from 'vitest';
import { RoundBoundsSchema } from '../../../../common/federation-config.js';
import { RoundConfigRefused, roundSettings } from '../../../../main/federation/client/round-config.js';

const bounds = RoundBoundsSchema.parse({ epochs: { max: 5 }, learning_rate: { min: 0.001, max: 0.1 }, batch_size: { min: 8, max: 256 } });
const refusing = { ...bounds, out_of_bounds: 'refuse' as const };

describe('roundSettings', () => {
  it('reads Flower’s spellings, with integers as bigints (sint64) or numbers', () => {
    const config = new Map<string, unknown>([
      ['server-round', 3n],
      ['local-epochs', 2n],
      ['lr', 0.01],
      ['batch-size', 32n],
    ]);
    expect(roundSettings(config, bounds, 1)).toEqual({ serverRound: 3, epochs: 2, learningRate: 0.01, batchSize: 32, adjustments: [] });
    expect(roundSettings({ server_round: 1, local_epochs: 3, learning_rate: 0.05, batch_size: 16 }, bounds, 1)).toMatchObject({
      serverRound: 1,
      epochs: 3,
      learningRate: 0.05,
      batchSize: 16,
    });
    expect(roundSettings({ epochs: 4, 'learning-rate': 0.02 }, bounds, 1)).toMatchObject({ epochs: 4, learningRate: 0.02 });
  });

  it('leaves out what the round does not set, and takes the site’s default epochs (within the bound)', () => {
    expect(roundSettings({}, bounds, 2)).toEqual({ serverRound: null, epochs: 2, adjustments: [] });
    expect(roundSettings({}, bounds, 9).epochs).toBe(5);
  });

  it('clamps out-of-bounds values and says which, from what, to what', () => {
    const settings = roundSettings({ lr: 3, 'batch-size': 2n, 'local-epochs': 0n }, bounds, 1);
    expect(settings).toMatchObject({ learningRate: 0.1, batchSize: 8, epochs: 1 });
    expect(settings.adjustments).toEqual([
      'config "local-epochs" = 0 clamped to 1 (the site allows 1 to 5)',
      'config "lr" = 3 clamped to 0.1 (the site allows 0.001 to 0.1)',
      'config "batch-size" = 2 clamped to 8 (the site allows 8 to 256)',
    ]);
  });

  it('refuses out-of-bounds values when the bounds say refuse, naming the key and the allowed range', () => {
    expect(() => roundSettings({ lr: 0.5 }, refusing, 1)).toThrow(
      new RoundConfigRefused('config "lr" = 0.5 is out of bounds: the site allows 0.001 to 0.1'),
    );
    expect(() => roundSettings({ lr: 0.05, epochs: 6 }, refusing, 1)).toThrow(/config "epochs" = 6 is out of bounds/);
  });

  it('refuses values that are not numbers, or not whole where they must be', () => {
    expect(() => roundSettings({ lr: 'fast' }, bounds, 1)).toThrow('config "lr": expected a number, got "fast"');
    expect(() => roundSettings({ 'batch-size': 3.5 }, bounds, 1)).toThrow('config "batch-size": expected a whole number, got 3.5');
    expect(() => roundSettings({ 'local-epochs': new Uint8Array(3) }, bounds, 1)).toThrow(
      'config "local-epochs": expected a whole number, got 3 bytes',
    );
  });
});
