import { describe, expect, test } from 'bun:test';
import type { Condition } from '../contracts/pipeline.ts';
import { matches } from './filter.ts';
import type { PipelineEvent } from './paths.ts';

const event: PipelineEvent = {
  id: 'e1',
  type: 'order.created',
  source: 'checkout',
  key: 'customer-7',
  timestamp: '2024-05-01T10:00:30.000Z',
  receivedAt: '2024-05-01T10:00:31.000Z',
  data: { amount: 42.5, currency: 'EUR', note: null, customer: { tier: 'gold' }, tags: ['a'] },
};

const cases: Array<[string, Condition, boolean]> = [
  ['eq matches a top-level field', { field: 'type', op: 'eq', value: 'order.created' }, true],
  ['eq matches a nested data field', { field: 'data.customer.tier', op: 'eq', value: 'gold' }, true],
  ['eq does not match another value', { field: 'key', op: 'eq', value: 'customer-8' }, false],
  ['eq does not treat a number and its text as equal', { field: 'data.amount', op: 'eq', value: '42.5' }, false],
  ['eq on a missing field is false', { field: 'data.missing', op: 'eq', value: null }, false],
  ['eq null matches a field holding null', { field: 'data.note', op: 'eq', value: null }, true],
  ['ne is true for another value', { field: 'source', op: 'ne', value: 'mobile' }, true],
  ['ne is true for a missing field', { field: 'data.missing', op: 'ne', value: 1 }, true],
  ['gt compares numbers', { field: 'data.amount', op: 'gt', value: 42 }, true],
  ['gt is false at equality', { field: 'data.amount', op: 'gt', value: 42.5 }, false],
  ['gte is true at equality', { field: 'data.amount', op: 'gte', value: 42.5 }, true],
  ['lt compares numbers', { field: 'data.amount', op: 'lt', value: 100 }, true],
  ['lte is false above', { field: 'data.amount', op: 'lte', value: 42 }, false],
  ['lt compares ISO timestamps by time', { field: 'timestamp', op: 'lt', value: '2024-05-01T10:01:00.000Z' }, true],
  ['a number and a string do not compare', { field: 'data.amount', op: 'gt', value: '1' }, false],
  ['in finds the value in the list', { field: 'data.currency', op: 'in', value: ['USD', 'EUR'] }, true],
  ['in is false when the value is not listed', { field: 'data.currency', op: 'in', value: ['USD'] }, false],
  ['exists is true for a present field', { field: 'data.amount', op: 'exists' }, true],
  ['exists is true for a field holding null', { field: 'data.note', op: 'exists', value: true }, true],
  ['exists false asks for absence', { field: 'data.missing', op: 'exists', value: false }, true],
  ['exists is false for a missing field', { field: 'data.customer.id', op: 'exists' }, false],
  ['regex tests strings', { field: 'key', op: 'regex', value: '^customer-\\d+$' }, true],
  ['regex is false for non-strings', { field: 'data.amount', op: 'regex', value: '4' }, false],
  ['a regex that does not compile matches nothing', { field: 'key', op: 'regex', value: '(' }, false],
  ['and needs every branch', { and: [{ field: 'type', op: 'eq', value: 'order.created' }, { field: 'data.amount', op: 'gt', value: 100 }] }, false],
  ['or needs one branch', { or: [{ field: 'type', op: 'eq', value: 'x' }, { field: 'data.amount', op: 'gt', value: 10 }] }, true],
  [
    'and/or nest',
    { and: [{ or: [{ field: 'source', op: 'eq', value: 'checkout' }, { field: 'source', op: 'eq', value: 'pos' }] }, { field: 'data.currency', op: 'ne', value: 'USD' }] },
    true,
  ],
];

describe('filter conditions', () => {
  test.each(cases)('%s', (_name, condition, expected) => {
    expect(matches(condition, event)).toBe(expected);
  });

  // With RegExp this backtracks 2^n times and never answers; RE2 is linear in the text, so the test finishing is the
  // point (a regression hangs until the test's timeout).
  test('a regex that backtracks catastrophically in RegExp answers at once', () => {
    const evil: Condition = { field: 'data.text', op: 'regex', value: '^(a+)+$' };
    expect(matches(evil, { ...event, data: { text: `${'a'.repeat(20_000)}!` } })).toBe(false);
    expect(matches(evil, { ...event, data: { text: 'a'.repeat(20_000) } })).toBe(true);
  });

  test('a regex finds its pattern anywhere in the text, as RegExp.test does', () => {
    expect(matches({ field: 'data.currency', op: 'regex', value: 'U' }, event)).toBe(true);
    expect(matches({ field: 'data.currency', op: 'regex', value: '^U' }, event)).toBe(false);
  });
});
