// Tests (Node): the console's JSON keeps byte arrays as bytes, and its base64 agrees with Node's.
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from '../../../common/contract/content-security-policy.js';
import { decodeWire, encodeWire, fromBase64, toBase64 } from '../../../common/contract/wire-json.js';

describe('wire JSON', () => {
  it('round-trips nested byte arrays, Node Buffers included, as Uint8Array', () => {
    const png = Uint8Array.from([137, 80, 78, 71, 0, 255]);
    const decoded = decodeWire(
      encodeWire({ id: 1, result: { ok: true, value: { samples: [{ png, label: 'cat' }, { png: Buffer.from('hi') }] } } }),
    ) as {
      result: { value: { samples: { png: Uint8Array }[] } };
    };
    const [first, second] = decoded.result.value.samples;
    expect(first!.png).toBeInstanceOf(Uint8Array);
    expect([...first!.png]).toEqual([...png]);
    expect(Buffer.from(second!.png).toString()).toBe('hi');
  });

  it('leaves ordinary data alone, a `$bytes`-looking key included', () => {
    const value = { a: [1, 'two', null, { b: true }], $bytes: 'AAAA' };
    expect(decodeWire(encodeWire(value))).toEqual(value);
  });

  it('writes the base64 Node writes, for every length modulo 3', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n) & 0xff);
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
      expect([...fromBase64(toBase64(bytes))]).toEqual([...bytes]);
    }
    expect(() => fromBase64('ab*d')).toThrow(/not base64/);
  });
});

describe("the renderer's Content-Security-Policy", () => {
  it('allows nothing inline, nothing evaluated, nothing remote', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*|http/);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("base-uri 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("form-action 'none'");
    expect(CONTENT_SECURITY_POLICY_HEADER).toContain("frame-ancestors 'none'");
  });
});
