import * as v from 'valibot';
import type { IssueCode } from './codes.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/**
 * How many objects/arrays may nest, counting the outermost. The walk below is recursive, and a request body can nest
 * far deeper than the call stack (JSON.parse copes with a million levels), so the cap keeps validation from throwing.
 */
export const MAX_DEPTH = 32;

export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

interface Problem {
  path: Array<string | number>;
  code: IssueCode;
  message: string;
  input: unknown;
}

/**
 * Finds the first value JSON.stringify would silently drop, alter or choke on. The path is built only on the way out
 * of a failure: the edge runs this over every event it accepts, and copying the path at each level showed up in
 * bench:edge's profile.
 */
function findProblem(value: unknown, depth: number): Problem | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path: [], code: 'invalid_value', message: 'must be a finite number', input: value };
  }
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    if (depth > MAX_DEPTH) return tooDeep(value);
    for (let i = 0; i < value.length; i++) {
      const problem = findProblem(value[i], depth + 1);
      if (problem) return within(problem, i);
    }
    return undefined;
  }
  if (!isPlainObject(value)) return { path: [], code: 'invalid_type', message: 'is not a JSON value', input: value };
  if (depth > MAX_DEPTH) return tooDeep(value);
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = value[key];
    // A property set to undefined means "absent" to JS callers and JSON.stringify drops it; in an array it would
    // silently become null, so there it is refused.
    if (item === undefined) continue;
    const problem = findProblem(item, depth + 1);
    if (problem) return within(problem, key);
  }
  return undefined;
}

const tooDeep = (input: unknown): Problem => ({ path: [], code: 'too_deep', message: `nests deeper than ${MAX_DEPTH} levels`, input });
const within = (problem: Problem, key: string | number): Problem => (problem.path.unshift(key), problem);

function pathItems(root: Record<string, unknown>, keys: ReadonlyArray<string | number>): [v.IssuePathItem, ...v.IssuePathItem[]] | undefined {
  const items: v.IssuePathItem[] = [];
  let input: unknown = root;
  for (const key of keys) {
    const value: unknown = (input as Record<string | number, unknown>)[key];
    items.push(
      typeof key === 'number'
        ? { type: 'array', origin: 'value', input: input as unknown[], key, value }
        : { type: 'object', origin: 'value', input: input as Record<string, unknown>, key, value },
    );
    input = value;
  }
  const [first, ...rest] = items;
  return first ? [first, ...rest] : undefined;
}

/** Whether `value` is a plain object holding nothing that a JSON round trip would drop, alter or choke on. */
export const isJsonObject = (value: unknown): value is JsonObject => isPlainObject(value) && findProblem(value, 1) === undefined;

/** Rejects anything in an object that would not survive a JSON round trip, pointing at the offending field. */
export const jsonContents = <T extends Record<string, unknown>>() =>
  v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = findProblem(dataset.value, 1);
    if (!problem) return;
    addIssue({ expected: problem.code, message: problem.message, input: problem.input, path: pathItems(dataset.value, problem.path) });
  });

/** A JSON object (not an array, not null), checked all the way down. */
export const jsonObject = v.pipe(
  v.custom<Record<string, unknown>>(isPlainObject, 'must be a JSON object'),
  jsonContents(),
  // The check above is what makes this cast true.
  v.transform((value) => value as JsonObject),
);
