// Runs in the console's process (plain Node): the random token every console request must carry, compared in constant time.
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 bits, URL-safe: it goes in the path of every URL the console serves. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenMatches(candidate: string | undefined, token: string): boolean {
  if (candidate === undefined) return false;
  const [a, b] = [Buffer.from(candidate), Buffer.from(token)];
  return a.length === b.length && timingSafeEqual(a, b);
}
