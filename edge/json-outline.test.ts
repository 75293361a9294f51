import { describe, expect, test } from 'bun:test';
import fc from 'fast-check';
import { nestingDepth, outlineJson } from './json-outline.ts';

/** JSON text with random whitespace between tokens, so spans and counts are checked on more than compact text. */
const spaced = (value: unknown) => JSON.stringify(value, null, 1).replace(/\n/g, '\n\t \r\n');

const depthOf = (v: unknown): number =>
  typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depthOf)) : 0;
const containersOf = (v: unknown): number =>
  typeof v === 'object' && v !== null ? 1 + Object.values(v as Record<string, unknown>).reduce<number>((n, x) => n + containersOf(x), 0) : 0;

describe('outlining a JSON body without parsing it', () => {
  test('an array is a batch whose item spans parse to the same items, with their depth and containers', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 20 }), fc.boolean(), (items, pretty) => {
        const text = pretty ? spaced(items) : JSON.stringify(items);
        const o = outlineJson(text, 1000);
        if (o.shape !== 'batch') throw new Error(`shape ${o.shape}`);
        expect(o.wrapper).toBe(false);
        expect(o.count).toBe(items.length);
        expect(o.starts.map((s, n) => JSON.parse(text.slice(s, o.ends[n])))).toEqual(JSON.parse(text));
        expect(o.depths).toEqual(items.map(depthOf));
        expect(o.containers).toEqual(items.map(containersOf));
      }),
    );
  });

  test('{"events": [...]} is a batch over the events, an object with any other key is a single value', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 10 }), fc.option(fc.string()), (events, other) => {
        const body = other === null ? { events } : { events, [other === 'events' ? 'x' : other]: 1 };
        const text = JSON.stringify(body);
        const o = outlineJson(text, 1000);
        if (other === null) {
          expect(o).toMatchObject({ shape: 'batch', wrapper: true, count: events.length });
          if (o.shape === 'batch') expect(o.starts.map((s, n) => JSON.parse(text.slice(s, o.ends[n])))).toEqual(JSON.parse(JSON.stringify(events)));
        } else expect(o).toMatchObject({ shape: 'single', depth: depthOf(body), containers: containersOf(body) });
      }),
    );
  });

  test('strings with quotes, escapes and brackets inside do not confuse the count', () => {
    const text = JSON.stringify(['a"b', 'c\\', '[{', '\\"],', { k: '}\\\\"' }]);
    expect(outlineJson(text, 10)).toMatchObject({ shape: 'batch', count: 5, depths: [0, 0, 0, 0, 1] });
  });

  test('a key written with escapes is still the events key, and the last of repeated keys counts', () => {
    expect(outlineJson('{"ev\\u0065nts":[1,2]}', 10)).toMatchObject({ shape: 'batch', wrapper: true, count: 2 });
    expect(outlineJson('{"events":[1,2,3],"events":[4]}', 10)).toMatchObject({ shape: 'batch', wrapper: true, count: 1 });
    expect(outlineJson('{"events":[1,2,3],"events":4}', 10)).toMatchObject({ shape: 'single' });
  });

  test('counting an array stops one item past the limit', () => {
    const o = outlineJson(`[${'{},'.repeat(1000)}{}]`, 10);
    expect(o).toMatchObject({ shape: 'batch', count: 11 });
    if (o.shape === 'batch') expect(o.starts).toHaveLength(11);
  });

  test('mismatched brackets, unterminated strings, empty slots and trailing data are malformed', () => {
    for (const text of ['[1}', '[1', '["a]', '[,1]', '[1,,2]', '[1,]', '[1] 2', '{"events":[1]', '{"a":"b}']) {
      expect({ text, shape: outlineJson(text, 10).shape }).toEqual({ text, shape: 'malformed' });
    }
  });

  test('nesting depth stops counting once past the cap', () => {
    expect(nestingDepth('[[["]]]]]"]]]', 0, 13, 10)).toBe(3);
    expect(nestingDepth('['.repeat(1000), 0, 1000, 32)).toBe(33);
  });
});
