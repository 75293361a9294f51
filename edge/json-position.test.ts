import { describe, expect, test } from 'bun:test';
import { findJsonError } from './json-position.ts';

describe('finding where malformed JSON goes wrong', () => {
  const cases: Array<[name: string, text: string, line: number, column: number]> = [
    ['a trailing comma in an object', '{"a": 1,}', 1, 9],
    ['an unquoted property name', '{a: 1}', 1, 2],
    ['a missing colon', '{"a" 1}', 1, 6],
    ['a bad literal', '[tru]', 1, 2],
    ['an unterminated string', '{"a": "b', 1, 9],
    ['a second line error', '[\n  {"type": "x"},\n  {"type" "y"}\n]', 3, 11],
    ['data after the value', '{"a":1} x', 1, 9],
    ['an empty input', '', 1, 1],
  ];
  for (const [name, text, line, column] of cases) {
    test(`points at ${name} with line ${line} and column ${column}`, () => {
      expect(JSON.parse.bind(null, text)).toThrow();
      const at = findJsonError(text);
      expect(at).toMatchObject({ line, column });
    });
  }

  test('finds nothing wrong in valid JSON, so it agrees with JSON.parse', () => {
    for (const text of ['{}', '[1, -2.5e3, "x\\u00e9", true, false, null, {"a": [[]]}]', ' "s" ']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(findJsonError(text)).toBeUndefined();
    }
  });
});
