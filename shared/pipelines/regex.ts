import { RE2JS } from 're2js';
import { memoize } from '../memo.ts';

/**
 * Pipeline `regex` conditions run on RE2 (re2js), not on JS RegExp: RE2 matches in time linear in the input, so a
 * pattern such as `^(a+)+$`, which backtracks exponentially in RegExp on "aaaa…!", cannot stall a worker's thread.
 * The price is RE2's syntax: no backreferences and no lookaround, which are refused when the pipeline is defined.
 */

/** Longest pattern a definition may hold. */
export const REGEX_MAX_LENGTH = 512;
/**
 * Largest compiled program (RE2's instruction count). Matching costs up to input length × program size, and a short
 * pattern can still compile large through counted repetition (`(x{100}){10}` is about 1,000 instructions).
 */
export const REGEX_MAX_PROGRAM = 5_000;

export type CompiledRegex = { readonly ok: true; readonly regex: RE2JS } | { readonly ok: false; readonly problem: string };

/** Compiled once per pattern: definitions are few and each pattern is tested against every event. */
export const compileRegex = memoize(function compileRegex(pattern: string): CompiledRegex {
  if (pattern.length > REGEX_MAX_LENGTH) return { ok: false, problem: `is longer than ${REGEX_MAX_LENGTH} characters` };
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    return { ok: false, problem: `is not a pattern RE2 accepts (no backreferences or lookaround): ${reason}` };
  }
  if (regex.programSize() > REGEX_MAX_PROGRAM) return { ok: false, problem: `compiles to more than ${REGEX_MAX_PROGRAM} instructions; simplify its repetitions` };
  return { ok: true, regex };
}, 1000);

/** Why a pattern cannot be used, or undefined when it can. */
export function regexProblem(pattern: string): string | undefined {
  const compiled = compileRegex(pattern);
  return compiled.ok ? undefined : compiled.problem;
}

/** Whether the pattern occurs anywhere in the text (RegExp.test semantics); a refused pattern matches nothing. */
export function regexFinds(pattern: string, text: string): boolean {
  const compiled = compileRegex(pattern);
  return compiled.ok && compiled.regex.test(text);
}
