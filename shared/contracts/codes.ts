import type * as v from 'valibot';

/**
 * Stable, machine-readable reasons an input was rejected. Clients branch on these, so entries may be added but never
 * renamed or removed.
 */
export const ISSUE_CODES = [
  'not_an_object',
  'invalid_json',
  'missing_field',
  'unknown_field',
  'invalid_type',
  'invalid_value',
  'too_long',
  'too_deep',
  'invalid_timestamp',
  'invalid_string',
  'invalid_field_name',
] as const;
export type IssueCode = (typeof ISSUE_CODES)[number];

export interface ParseFailure {
  readonly ok: false;
  readonly code: IssueCode;
  /** Dotted path into the input (`data.items.0.sku`); empty when the input as a whole is wrong. */
  readonly path: string;
  /** For humans; wording may change, unlike `code`. */
  readonly message: string;
}
export type ParseResult<T> = { readonly ok: true; readonly event: T } | ParseFailure;

const isIssueCode = (value: unknown): value is IssueCode => ISSUE_CODES.includes(value as IssueCode);

export function failure(code: IssueCode, path: string, problem: string): ParseFailure {
  return { ok: false, code, path, message: path ? `${path}: ${problem}` : problem };
}

type Issue = v.BaseIssue<unknown>;

const pathOf = (issue: Issue): string => (issue.path ?? []).map((item) => String(item.key)).join('.');

function codeOf(issue: Issue): IssueCode {
  const last = issue.path?.at(-1);
  if (last?.origin === 'key') return issue.expected === 'never' ? 'unknown_field' : 'missing_field';
  // Valibot issues have no slot for our codes, so this folder's raw checks and transforms carry the code in
  // `expected`; they always supply their own message, so nothing else reads that field.
  if ((issue.type === 'raw_check' || issue.type === 'raw_transform') && isIssueCode(issue.expected)) return issue.expected;
  if (issue.kind === 'schema') {
    if (!issue.path?.length) return 'not_an_object';
    // A key present with the value `undefined` can only come from JS callers, who mean "absent".
    return issue.input === undefined ? 'missing_field' : 'invalid_type';
  }
  return issue.type === 'max_length' ? 'too_long' : 'invalid_value';
}

function problemOf(code: IssueCode, issue: Issue): string {
  if (code === 'missing_field') return 'is required';
  if (code === 'unknown_field') return 'is not a known field';
  return issue.message;
}

/**
 * Turns valibot's issues into the single failure we report. An unknown field wins over the others because it is
 * usually a typo, and the field it was meant to be then also shows up as missing.
 */
export function fromIssues(issues: readonly [Issue, ...Issue[]]): ParseFailure {
  const issue = issues.find((i) => codeOf(i) === 'unknown_field') ?? issues[0];
  const code = codeOf(issue);
  return failure(code, pathOf(issue), problemOf(code, issue));
}
