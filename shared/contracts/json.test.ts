import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { isJsonObjectAt, storableText } from './json.ts';

// Characters around the edges of what the stores refuse: dots and blanks in field names (the search node), U+0000
// (Postgres), lone surrogates (UTF-8), and their ordinary neighbours.
const TRICKY = ['a', 'Z', '0', '.', ' ', '\t', '\u00a0', '\ufeff', '\u001c', '\u0000', '\ud800', '\udc00', '😀', 'é', '"', '\\', '/'];
const trickyText = fc.array(fc.constantFrom(...TRICKY), { maxLength: 5 }).map((cs) => cs.join(''));
const value = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, trickyText, fc.integer(), fc.boolean(), fc.constant(null), tie('object'), fc.array(tie('any'), { maxLength: 3 })),
  object: fc.dictionary(trickyText, tie('any'), { maxKeys: 4 }),
})).object;

describe('storable text: one scan of a body stands in for testing each of its strings', () => {
  test('for any JSON text it accepts, the object check without string tests finds exactly what the full check finds', () => {
    let accepted = 0;
    fc.assert(
      fc.property(value, (object) => {
        const text = JSON.stringify(object);
        if (!storableText(text)) return;
        accepted++;
        const parsed: unknown = JSON.parse(text);
        expect(isJsonObjectAt(parsed, 1, true)).toBe(isJsonObjectAt(parsed, 1, false));
      }),
      { numRuns: 3000 },
    );
    // The property says nothing if hardly any text passes the scan.
    expect(accepted).toBeGreaterThan(300);
  });

  test('text with a \\u escape or a surrogate is not storable text; plain ASCII and accented text is', () => {
    expect(storableText('{"a":"\\u0000"}')).toBe(false);
    expect(storableText('{"a":"\\ud800"}')).toBe(false);
    expect(storableText('{"a":"\\u00e9"}')).toBe(false);
    expect(storableText('{"a":"😀"}')).toBe(false);
    expect(storableText('{"a":"é","b":"tab\\there","c.d":"x"}')).toBe(true);
  });

  test('a raw U+0000 cannot hide in storable text: JSON itself refuses unescaped control characters', () => {
    expect(() => JSON.parse('{"a":"x\u0000y"}')).toThrow();
    expect(() => JSON.parse('{"a\u0000":1}')).toThrow();
  });

  test('field names with empty or blank parts are still refused in storable text', () => {
    for (const key of ['', ' ', '\u00a0', '.', 'a.', '.a', 'a..b', 'a. .b']) {
      const parsed: unknown = JSON.parse(JSON.stringify({ ok: 1, inner: { [key]: 1 } }));
      expect(isJsonObjectAt(parsed, 1, true)).toBe(false);
    }
    expect(isJsonObjectAt(JSON.parse('{"a.b":{"c d":" "}}'), 1, true)).toBe(true);
  });
});
