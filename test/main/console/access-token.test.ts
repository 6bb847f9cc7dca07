// Tests (Node): the console's access token: long, URL-safe, fresh each time, compared whole.
import { describe, expect, it } from 'vitest';
import { newAccessToken, tokenMatches } from '../../../main/console/access-token.js';

describe('access token', () => {
  it('is 256 random bits in base64url, different every time', () => {
    const token = newAccessToken();
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(newAccessToken()).not.toBe(token);
  });

  it('matches only itself: not a prefix, not a longer string, not nothing', () => {
    const token = newAccessToken();
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(token.slice(0, -1), token)).toBe(false);
    expect(tokenMatches(`${token}a`, token)).toBe(false);
    expect(tokenMatches('', token)).toBe(false);
    expect(tokenMatches(undefined, token)).toBe(false);
  });
});
