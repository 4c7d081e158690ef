import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison; hashing first makes the lengths equal and leaks none. */
export function tokenMatches(
  expected: string | undefined,
  given: string | null | undefined,
): boolean {
  if (!expected || !given) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
