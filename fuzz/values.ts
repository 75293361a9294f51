import type { Rng } from './rng.ts';

/**
 * Field values for generated events. Valid data keeps one JSON type per key name (the prefix says which), because
 * the search index maps a `data.*` field by the first value it sees in a daily index and dead-letters later events
 * whose value does not fit (README, Dead letters: mapping_conflict); a fuzz run should find what the platform gets
 * wrong, not that documented rule. Hostile values go under their own keys for the same reason.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'plan', 'path', 'sku', 'region', 'amount', 'note'] as const;
export const TYPES = ['page.view', 'signup', 'cart.add', 'order.created', 'Order Completed', 'button:click', 'deploy_ci'] as const;
export const SOURCES = ['web', 'ios', 'android', 'ci', '', 'x'.repeat(128)] as const;
// A handful of days only: the search node creates one index per event day, and the servers are shared.
export const TIMESTAMPS: readonly (string | number)[] = [
  '2026-11-23T10:00:00Z',
  '2026-11-23 10:00:00.123456789+02:00',
  '2026-11-23',
  '1970-01-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  1795428000000,
  0,
];
const TEXT = ['', ' ', 'plain', 'héllo wörld', '日本語のテキスト', '🙂🚀', 'a\tb\nc', '"quoted"', '\\back\\slash', '<script>alert(1)</script>', "'; drop table events; --", '\u200b\ufeff', '\u202eevil'];

/** A string that is valid everywhere: text, unicode, emoji, control characters other than NUL, up to 300 chars. */
export function text(rng: Rng): string {
  const base = rng.pick(TEXT);
  return rng.chance(0.1) ? base.padEnd(rng.between(100, 300), 'x') : base;
}

/** NUL, lone surrogates and reversed pairs: JSON can carry them, Postgres text and jsonb cannot. */
export const HOSTILE_STRINGS = ['a\u0000b', '\u0000', '\ud800', 'x\udfff', '\udc00\ud800', 'end\ud83d', '\ud83d\ude00\ud83d'] as const;

/** Numbers at the edges of JSON and IEEE 754, each class under its own key (see the note at the top). */
export const ODD_NUMBERS: Readonly<Record<string, readonly number[]>> = {
  huge: [1.7976931348623157e308, -1.7976931348623157e308, 1e300],
  tiny: [5e-324, -5e-324, 2.2250738585072014e-308],
  unsafe: [9007199254740993, -9007199254740993, 2 ** 62],
  big: [18446744073709551616, 1e20, 123456789012345678901234567890],
  negzero: [-0],
};

/** Number texts JSON.parse accepts but that are not what they look like (overflow to Infinity, too many digits). */
export const ODD_NUMBER_TEXTS = ['1e400', '-1e400', '1' + '0'.repeat(400), '0.' + '0'.repeat(400) + '1', '1E+2', '-0.0e-0'] as const;

function leaf(rng: Rng, prefix: string): Json {
  switch (prefix) {
    case 's_':
      return text(rng);
    case 'i_':
      return rng.between(-1_000_000, 1_000_000_000);
    case 'f_':
      return rng.between(-1000, 1000) + 0.125 + rng.int(1000) / 2000;
    case 'b_':
      return rng.chance(0.5);
    case 'n_':
      return null;
    default:
      return Array.from({ length: rng.int(4) }, () => text(rng));
  }
}

/** A valid data object: typed keys, nested objects up to `depth` more levels. */
export function data(rng: Rng, depth = 2): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  const fields = rng.int(6);
  for (let i = 0; i < fields; i++) {
    const prefix = rng.pick(depth > 0 ? ['s_', 'i_', 'f_', 'b_', 'n_', 'a_', 'o_'] : ['s_', 'i_', 'f_', 'b_', 'n_', 'a_']);
    const key = `${prefix}${rng.pick(WORDS)}`;
    out[key] = prefix === 'o_' ? data(rng, depth - 1) : leaf(rng, prefix);
  }
  return out;
}

/** `levels` nested objects (`{"d":{"d":...}}`) or arrays, as JSON text, built without recursion. */
export function nestedText(levels: number, kind: 'object' | 'array', inner = '1'): string {
  return kind === 'object' ? '{"d":'.repeat(levels) + inner + '}'.repeat(levels) : '['.repeat(levels) + inner + ']'.repeat(levels);
}

/** Keys a search node or Postgres may refuse: empty, dots only, leading/trailing dots, NUL, very long. */
export const HOSTILE_KEYS = ['', ' ', '.', '..', 'a..b', '.lead', 'trail.', '_id', '_source', 'a\u0000b', '\ud800', 'k'.repeat(1000), '__proto__', 'constructor'] as const;
