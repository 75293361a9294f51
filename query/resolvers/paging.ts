import { badInput } from '../errors.ts';

/** A page size (first/limit) within 1..max, or BAD_USER_INPUT naming the argument. */
export function pageSize(value: number | null | undefined, max: number, argument: string, fallback = 20): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) throw badInput(`\`${argument}\` must be between 1 and ${max}, got ${n}`, { argument });
  return n;
}
