import type { Condition } from '../contracts/pipeline.ts';
import type { JsonValue } from '../contracts/json.ts';
import { getPath, type PipelineEvent } from './paths.ts';
import { regexFinds } from './regex.ts';

/** Equality of JSON scalars (and, for completeness, of arrays/objects by their JSON text). */
function same(a: JsonValue | undefined, b: unknown): boolean {
  if (a === undefined) return false;
  if (typeof a !== 'object' || a === null) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Orders numbers with numbers and strings with strings (so ISO timestamps compare by time); anything else, or a
 * mix, is not comparable and the condition is false, as in SQL where a comparison with NULL is not true.
 */
function compare(a: JsonValue | undefined, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function leaf(field: string, op: string, expected: unknown, event: PipelineEvent): boolean {
  const actual = getPath(event, field);
  switch (op) {
    case 'eq':
      return same(actual, expected);
    case 'ne':
      return !same(actual, expected);
    case 'in':
      return Array.isArray(expected) && expected.some((e) => same(actual, e));
    // `value: false` asks for absence; a field holding null counts as present (it was sent).
    case 'exists':
      return (actual !== undefined) === (expected !== false);
    case 'regex':
      // RE2, linear in the text (regex.ts); patterns it refuses never get past the contract.
      return typeof actual === 'string' && typeof expected === 'string' && regexFinds(expected, actual);
  }
  const order = compare(actual, expected);
  if (order === undefined) return false;
  if (op === 'gt') return order > 0;
  if (op === 'gte') return order >= 0;
  if (op === 'lt') return order < 0;
  return op === 'lte' && order <= 0;
}

/** Whether the event satisfies the condition; `and`/`or` short-circuit. */
export function matches(condition: Condition, event: PipelineEvent): boolean {
  if ('and' in condition) return condition.and.every((c) => matches(c, event));
  if ('or' in condition) return condition.or.some((c) => matches(c, event));
  return leaf(condition.field, condition.op, condition.value, event);
}
