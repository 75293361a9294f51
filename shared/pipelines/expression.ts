import type { JsonValue } from '../contracts/json.ts';
import { memoize } from '../memo.ts';
import { getPath, type PipelineEvent } from './paths.ts';

/**
 * The expression language of `map.computed`: numbers, "strings" or 'strings', dotted field paths, + - * /, unary
 * minus and parentheses. Parsed by hand into a tree and walked, never handed to eval/Function, so a definition
 * edited through the API cannot run code in the workers.
 *
 * Semantics: `+` adds numbers and concatenates when either side is a string (null reads as ""); - * / need two
 * numbers; a missing field is null; anything undefined (a type mix, division by zero, overflow) is null rather than
 * an error, so one odd event does not stop a pipeline.
 */
export type Expr =
  | { readonly kind: 'num'; readonly value: number }
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'field'; readonly path: string }
  | { readonly kind: 'neg'; readonly operand: Expr }
  | { readonly kind: 'bin'; readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr };

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
  }
}

type Token = { kind: 'num'; value: number; at: number } | { kind: 'str'; value: string; at: number } | { kind: 'field'; value: string; at: number } | { kind: 'op'; value: string; at: number };

const TOKEN = /(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_]\w*(?:\.\w+)*)|([-+*/()])/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (let at = 0; at < text.length; ) {
    if (/\s/.test(text[at]!)) {
      at++;
      continue;
    }
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw new ExpressionError('unexpected character', at);
    if (m[1] !== undefined) tokens.push({ kind: 'num', value: Number(m[1]), at });
    else if (m[2] !== undefined) tokens.push({ kind: 'str', value: m[2].slice(1, -1).replace(/\\(.)/g, '$1'), at });
    else if (m[3] !== undefined) tokens.push({ kind: 'field', value: m[3], at });
    else tokens.push({ kind: 'op', value: m[4]!, at });
    at = TOKEN.lastIndex;
  }
  return tokens;
}

/** Parses with the usual precedence (* / over + -, left-associative); throws ExpressionError naming the position. */
export function parseExpression(text: string): Expr {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    throw new ExpressionError(what, peek()?.at ?? text.length);
  };

  function primary(): Expr {
    const t = tokens[i++];
    if (!t) return fail('unexpected end of expression');
    if (t.kind === 'num') return { kind: 'num', value: t.value };
    if (t.kind === 'str') return { kind: 'str', value: t.value };
    if (t.kind === 'field') return { kind: 'field', path: t.value };
    if (t.value === '-') return { kind: 'neg', operand: primary() };
    if (t.value === '(') {
      const inner = sum();
      if (peek()?.value !== ')') fail('expected )');
      i++;
      return inner;
    }
    i--;
    return fail(`unexpected ${t.value}`);
  }
  function product(): Expr {
    let left = primary();
    for (let t = peek(); t?.kind === 'op' && (t.value === '*' || t.value === '/'); t = peek()) {
      i++;
      left = { kind: 'bin', op: t.value, left, right: primary() };
    }
    return left;
  }
  function sum(): Expr {
    let left = product();
    for (let t = peek(); t?.kind === 'op' && (t.value === '+' || t.value === '-'); t = peek()) {
      i++;
      left = { kind: 'bin', op: t.value, left, right: product() };
    }
    return left;
  }

  const tree = sum();
  if (i < tokens.length) fail(`unexpected ${tokens[i]!.value}`);
  return tree;
}

const finite = (n: number): JsonValue => (Number.isFinite(n) ? n : null);
const text = (v: JsonValue): string => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function evaluate(expr: Expr, event: PipelineEvent): JsonValue {
  switch (expr.kind) {
    case 'num':
    case 'str':
      return expr.value;
    case 'field':
      return getPath(event, expr.path) ?? null;
    case 'neg': {
      const v = evaluate(expr.operand, event);
      return typeof v === 'number' ? finite(-v) : null;
    }
    case 'bin': {
      const a = evaluate(expr.left, event);
      const b = evaluate(expr.right, event);
      if (expr.op === '+' && (typeof a === 'string' || typeof b === 'string')) return text(a) + text(b);
      if (typeof a !== 'number' || typeof b !== 'number') return null;
      if (expr.op === '+') return finite(a + b);
      if (expr.op === '-') return finite(a - b);
      if (expr.op === '*') return finite(a * b);
      return b === 0 ? null : finite(a / b);
    }
  }
}

/** Parses once per distinct text (definitions are few and reused for every event). */
export const compileExpression = memoize(function compileExpression(source: string): Expr {
  return parseExpression(source);
}, 1000);
