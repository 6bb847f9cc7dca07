// Runs in decode threads: an image's channels made the model's 1 or 3, for 8-bit and float pixels alike.

type Pixels = Uint8Array | Float32Array;

/**
 * Alpha is dropped, not composited over a background, as PIL's convert('RGB') and convert('L') do; gray is repeated
 * to three channels; color to one channel goes through `luma`, which is where the 8-bit and float paths differ.
 */
export function convertChannels<T extends Pixels>(
  data: T,
  channels: number,
  target: 1 | 3,
  make: (length: number) => T,
  luma: (r: number, g: number, b: number) => number,
): T {
  if (channels === target) return data;
  const count = data.length / channels;
  const out = make(count * target);
  const gray = channels <= 2;
  for (let p = 0, i = 0, o = 0; p < count; p++, i += channels, o += target) {
    if (target === 3) {
      out[o] = data[i]!;
      out[o + 1] = data[gray ? i : i + 1]!;
      out[o + 2] = data[gray ? i : i + 2]!;
    } else out[o] = gray ? data[i]! : luma(data[i]!, data[i + 1]!, data[i + 2]!);
  }
  return out;
}
