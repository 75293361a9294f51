import * as v from 'valibot';
import type { IssueCode } from './codes.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/**
 * How many objects/arrays may nest, counting the outermost. The walk below is recursive, and a request body can nest
 * far deeper than the call stack (JSON.parse copes with a million levels), so the cap keeps validation from throwing.
 * The search node refuses objects nested deeper than its `index.mapping.depth.limit` (20 by default, counting the
 * document itself: `data` plus 18 more levels passed and 19 failed on Elasticsearch 8.19), so the index template
 * raises that limit to MAX_DEPTH + 1 (workers/sinks/elasticsearch/template.ts) rather than breaking clients that
 * nest 20-32 levels today.
 */
export const MAX_DEPTH = 32;

/**
 * Characters no store keeps as sent: Postgres refuses U+0000 in jsonb and text ("unsupported Unicode escape
 * sequence"), and a lone surrogate is not UTF-8 at all (Postgres' jsonb and Redis' cjson refuse its escape; a text
 * column gets U+FFFD instead). A string matching this is then checked precisely, since surrogate pairs (emoji) match
 * too; strings that do not match, nearly all of them, cost one regex test.
 */
const SUSPECT_CHARS = /[\u0000\ud800-\udfff]/;

/** Why `text` cannot be stored as it is, or undefined when it can. */
export function stringProblem(text: string): string | undefined {
  if (!SUSPECT_CHARS.test(text)) return undefined;
  if (text.includes('\u0000')) return 'must not contain the character U+0000';
  return text.isWellFormed() ? undefined : 'must not contain a lone UTF-16 surrogate';
}

/**
 * Object keys the search node refuses, found against Elasticsearch 8.19: the empty key, keys that are only
 * whitespace, only dots, start or end with a dot or hold `..` (a dotted key is a path, and each part must name
 * something). Java's whitespace (String.isBlank) includes U+001C-U+001F, which JavaScript's \s does not; JavaScript's
 * \s includes U+00A0 and U+FEFF, which Java's does not, so those few keys are refused though the node would take them.
 */
const EMPTY_PART = /(?:^|\.)[\s\u001c-\u001f]*(?:\.|$)/;
const SUSPECT_KEY = new RegExp(`${EMPTY_PART.source}|${SUSPECT_CHARS.source}`);

/**
 * Whether every string and key JSON.parse makes of `text` is storable (stringProblem finds nothing), from one scan of
 * the text: JSON writes U+0000 only as an escape, and a surrogate either as itself or as an escape, so text with
 * neither a surrogate nor a `\u` escape parses to strings without them. A 57 KB Segment batch scans in ~4 µs, where
 * testing its ~2,000 strings and keys one by one took ~180 µs, most of the route's validation.
 */
export const storableText = (text: string): boolean => !UNSTORABLE_TEXT.test(text);
const UNSTORABLE_TEXT = /\\u|[\ud800-\udfff]/;

/** Why `key` cannot be a field name in every store, or undefined when it can (one regex test for ordinary keys). */
export function fieldNameProblem(key: string): string | undefined {
  if (!SUSPECT_KEY.test(key)) return undefined;
  return nameProblem(key);
}

/**
 * fieldNameProblem for a key whose characters are known to be storable (see storableText): a key without a dot that
 * starts with a visible ASCII character has no empty or blank part, which is what nearly every key looks like, and
 * two char tests are much cheaper than a regex test; ~17 keys per Segment message made that ~0.5 µs per event.
 */
function storableKeyProblem(key: string): string | undefined {
  const first = key.charCodeAt(0);
  if (first > 0x20 && first < 0x7f && first !== 0x2e && !key.includes('.')) return undefined;
  return EMPTY_PART.test(key) ? nameProblem(key) : undefined;
}

function nameProblem(key: string): string | undefined {
  if (EMPTY_PART.test(key)) {
    if (key.includes('.')) return 'must not be a field name that is only dots, starts or ends with a dot, or has an empty or blank part between dots';
    return key === '' ? 'must not be an empty field name' : 'must not be a field name of only whitespace';
  }
  return stringProblem(key);
}

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
function findProblem(value: unknown, depth: number, storable = false): Problem | undefined {
  switch (typeof value) {
    case 'string': {
      if (storable) return undefined;
      const problem = stringProblem(value);
      return problem ? { path: [], code: 'invalid_string', message: problem, input: value } : undefined;
    }
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { path: [], code: 'invalid_value', message: 'must be a finite number', input: value };
  }
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    if (depth > MAX_DEPTH) return tooDeep(value);
    for (let i = 0; i < value.length; i++) {
      const problem = findProblem(value[i], depth + 1, storable);
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
    const badName = storable ? storableKeyProblem(key) : fieldNameProblem(key);
    if (badName) return within({ path: [], code: 'invalid_field_name', message: badName, input: key }, key);
    const problem = findProblem(item, depth + 1, storable);
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

/**
 * isJsonObject for an object `depth` levels inside the one MAX_DEPTH is counted from (which is level 1). `storable`:
 * the value was parsed from text storableText accepted, so its strings need no test of their own.
 */
export const isJsonObjectAt = (value: unknown, depth: number, storable = false): value is JsonObject => isPlainObject(value) && findProblem(value, depth, storable) === undefined;

/**
 * isJsonObjectAt(value, depth, true) for a value JSON.parse made of text storableText accepted: such a value holds
 * only plain objects, arrays, finite numbers and storable strings, so only nesting and key names are left to check.
 * Leaving out the checks that cannot fail there took validating a Segment message's properties, context and
 * integrations from ~0.38 to ~0.21 µs (microbenchmark over the bench's messages).
 */
export const isParsedJsonObjectAt = (value: unknown, depth: number): value is JsonObject => isPlainObject(value) && parsedObjectFits(value, depth);

function parsedObjectFits(value: Record<string, unknown>, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  for (const key in value) {
    if (storableKeyProblem(key) !== undefined) return false;
    if (!parsedValueFits(value[key], depth + 1)) return false;
  }
  return true;
}

function parsedValueFits(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Array.isArray(value)) return parsedObjectFits(value as Record<string, unknown>, depth);
  if (depth > MAX_DEPTH) return false;
  for (let i = 0; i < value.length; i++) if (!parsedValueFits(value[i], depth + 1)) return false;
  return true;
}

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
