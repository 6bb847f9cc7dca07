// Tests (Node): a sample's source reads relative to the config's folder when it lies inside it.
import { describe, expect, it } from 'vitest';
import { sourceLabel } from '../../../../renderer/features/preview/source-label.js';

describe('sourceLabel', () => {
  it("shortens paths inside the config's folder, POSIX and Windows alike, and leaves others whole", () => {
    expect(sourceLabel('/site/data/train/cat/1.png', '/site/party.yaml')).toBe('data/train/cat/1.png');
    expect(sourceLabel('C:\\site\\train\\cat\\1.png', 'C:\\site\\party.yaml')).toBe('train\\cat\\1.png');
    expect(sourceLabel('/elsewhere/1.png', '/site/party.yaml')).toBe('/elsewhere/1.png');
    expect(sourceLabel('train-images.idx3-ubyte[42]', null)).toBe('train-images.idx3-ubyte[42]');
  });
});
