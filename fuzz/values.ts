import { MAX_TIME_MS, MIN_TIME_MS } from '../shared/contracts/timestamp.ts';
import type { Rng } from './rng.ts';

/**
 * Field values for generated events. Most data keys keep one JSON type (the prefix says which); `m_` keys take any
 * type, a string in one event and an object or a number in the next. The search index maps a `data.*` field by the
 * first value it sees, and an event whose data the mapping then refuses is stored with that data unindexed (docs/processing.md,
 * the search node's `data_unindexed`), so every accepted event must still reach all three stores.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'plan', 'path', 'sku', 'region', 'amount', 'note'] as const;
export const TYPES = ['page.view', 'signup', 'cart.add', 'order.created', 'Order Completed', 'button:click', 'deploy_ci'] as const;
export const SOURCES = ['web', 'ios', 'android', 'ci', '', 'x'.repeat(128)] as const;
// Near the run's days a handful only: the search node creates one index per event day in its window; events dated
// outside it share one `<prefix>-other` index, and Postgres' DEFAULT partition, so anyTime() may spread freely.
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
/** Any instant the contract accepts, years 0001 to 9999, as ISO text (with or without milliseconds) or epoch millis. */
export function anyTime(rng: Rng): string | number {
  // Two draws: one 32-bit draw steps ~73 s at a time over ~10,000 years.
  const ms = Math.min(MAX_TIME_MS, MIN_TIME_MS + Math.floor((rng.next() + rng.next() / 2 ** 32) * (MAX_TIME_MS - MIN_TIME_MS)));
  if (rng.chance(0.3)) return ms;
  const iso = new Date(ms).toISOString();
  return rng.chance(0.5) ? iso : iso.replace(/\.\d{3}Z$/, 'Z');
}

/** A timestamp for a generated event: mostly the fixed few, sometimes anywhere in the ten millennia. */
export const timestamp = (rng: Rng): string | number => (rng.chance(0.6) ? rng.pick(TIMESTAMPS) : anyTime(rng));

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

/** A value of any JSON type, for the `m_` keys whose type changes from one event to the next. */
function anyValue(rng: Rng, depth: number): Json {
  const kind = rng.pick(['s_', 'i_', 'f_', 'b_', 'n_', 'a_', 'o_', 'numbers', 'mixed_array'] as const);
  if (kind === 'o_') return depth > 0 ? data(rng, depth - 1) : { s_note: text(rng) };
  if (kind === 'numbers') return Array.from({ length: rng.int(4) }, () => rng.between(-1000, 1000));
  if (kind === 'mixed_array') return [text(rng), rng.between(0, 100), ...(depth > 0 ? [{ i_n: rng.int(10) }] : [])];
  return leaf(rng, kind, depth);
}

function leaf(rng: Rng, prefix: string, depth = 0): Json {
  switch (prefix) {
    case 'm_':
      return anyValue(rng, depth);
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
    const prefix = rng.pick(depth > 0 ? ['s_', 'i_', 'f_', 'b_', 'n_', 'a_', 'o_', 'm_', 'm_'] : ['s_', 'i_', 'f_', 'b_', 'n_', 'a_', 'm_']);
    const key = `${prefix}${rng.pick(WORDS)}`;
    out[key] = prefix === 'o_' ? data(rng, depth - 1) : leaf(rng, prefix, depth);
  }
  return out;
}

/** `levels` nested objects (`{"d":{"d":...}}`) or arrays, as JSON text, built without recursion. */
export function nestedText(levels: number, kind: 'object' | 'array', inner = '1'): string {
  return kind === 'object' ? '{"d":'.repeat(levels) + inner + '}'.repeat(levels) : '['.repeat(levels) + inner + ']'.repeat(levels);
}

/** Keys a search node or Postgres may refuse: empty, dots only, leading/trailing dots, NUL, very long. */
export const HOSTILE_KEYS = ['', ' ', '.', '..', 'a..b', '.lead', 'trail.', '_id', '_source', 'a\u0000b', '\ud800', 'k'.repeat(1000), '__proto__', 'constructor'] as const;
