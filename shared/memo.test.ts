import { describe, expect, test } from 'bun:test';
import { memoize } from './memo.ts';

describe('memoize', () => {
  test('computes each key once while it is remembered, including keys whose value is null', () => {
    const calls: string[] = [];
    const lookup = memoize((k: string) => (calls.push(k), k === 'none' ? null : k.length), 10);
    expect([lookup('abc'), lookup('abc'), lookup('none'), lookup('none')]).toEqual([3, 3, null, null]);
    expect(calls).toEqual(['abc', 'none']);
  });

  test('never holds more than maxEntries: once full it starts over and recomputes', () => {
    const calls: number[] = [];
    const square = memoize((n: number) => (calls.push(n), n * n), 2);
    expect([square(1), square(2), square(3), square(1)]).toEqual([1, 4, 9, 1]);
    expect(calls).toEqual([1, 2, 3, 1]);
  });
});
