import { describe, expect, test } from 'bun:test';
import type { JsonValue } from '../contracts/json.ts';
import { evaluate, ExpressionError, parseExpression } from './expression.ts';
import { applyMap, checkMap, type MapStep } from './map.ts';
import type { PipelineEvent } from './paths.ts';

const event: PipelineEvent = { id: 'e1', type: 'order.created', key: 'k', timestamp: '2024-05-01T10:00:00.000Z', data: { amount: 12.5, qty: 4, first: 'Ada', last: 'Lovelace', zero: 0 } };

const expressions: Array<[string, JsonValue]> = [
  ['1 + 2 * 3', 7],
  ['(1 + 2) * 3', 9],
  ['10 - 4 - 3', 3],
  ['12 / 4 / 3', 1],
  ['-data.qty + 1', -3],
  ['data.amount * 100', 1250],
  ['data.amount * data.qty', 50],
  ['data.first + " " + data.last', 'Ada Lovelace'],
  ["'n=' + data.qty", 'n=4'],
  ['"a \\" quote"', 'a " quote'],
  ['data.missing + 1', null],
  ['data.missing + "x"', 'x'],
  ['data.first * 2', null],
  ['data.qty / data.zero', null],
  ['2.5e2 + 0', 250],
  ['type + ":" + key', 'order.created:k'],
];

describe('computed expressions', () => {
  test.each(expressions)('%s evaluates to %p', (source, expected) => {
    expect(evaluate(parseExpression(source), event)).toEqual(expected);
  });

  test.each([
    ['1 +', 3],
    ['(1 + 2', 6],
    ['1 2', 2],
    ['a ; b', 2],
    ['', 0],
    ['process.exit(1)', 12],
  ])('%p is refused with the position of the problem', (source, position) => {
    expect(() => parseExpression(source)).toThrow(ExpressionError);
    try {
      parseExpression(source);
    } catch (error) {
      expect((error as ExpressionError).position).toBe(position);
    }
  });
});

const maps: Array<[string, MapStep, PipelineEvent]> = [
  ['rename moves a field', { type: 'map', rename: { 'data.amount': 'data.total' } }, { ...event, data: { qty: 4, first: 'Ada', last: 'Lovelace', zero: 0, total: 12.5 } }],
  ['rename of a missing field changes nothing', { type: 'map', rename: { 'data.nope': 'data.x' } }, event],
  ['drop removes fields', { type: 'map', drop: ['data.first', 'data.last', 'data.nope'] }, { ...event, data: { amount: 12.5, qty: 4, zero: 0 } }],
  ['set writes constants, creating objects', { type: 'map', set: { 'data.meta.origin': 'eu', source: 'pipeline' } }, { ...event, source: 'pipeline', data: { ...(event.data as object), meta: { origin: 'eu' } } }],
  ['computed writes expression results', { type: 'map', computed: { 'data.cents': 'data.amount * 100' } }, { ...event, data: { ...(event.data as object), cents: 1250 } }],
  [
    'computed reads fields as renamed, all from the same snapshot',
    { type: 'map', rename: { 'data.amount': 'data.price' }, computed: { 'data.total': 'data.price * data.qty', 'data.price': 'data.price + 1' } },
    { ...event, data: { qty: 4, first: 'Ada', last: 'Lovelace', zero: 0, price: 13.5, total: 50 } },
  ],
];

describe('map steps', () => {
  test.each(maps)('%s', (_name, step, expected) => {
    const input = structuredClone(event);
    expect(applyMap(step, input)).toEqual(expected);
    expect(input).toEqual(event);
  });

  test('checkMap names the computed field whose expression does not parse', () => {
    expect(checkMap({ type: 'map', computed: { 'data.x': '1 +' } })).toEqual(['computed.data.x: unexpected end of expression at position 3']);
    expect(checkMap({ type: 'map', computed: { 'data.x': '1 + 1' } })).toEqual([]);
  });
});
