import { describe, expect, test } from 'bun:test';
import { emptyAccumulator } from '../../shared/pipelines/index.ts';
import { PartialsCache, type PartialRow } from './partials-cache.ts';
import type { PartitionState, Target } from './plan.ts';

const MIN = 60_000;
const target = (partition: number, key: string, start = 0): Target => ({ start, end: start + MIN, key, partition });
const row = (t: Target, count = 1): PartialRow => ({ ...t, ...emptyAccumulator(), count });
const states = (entries: Array<[number, bigint, number | null]>): Map<number, PartitionState> =>
  new Map(entries.map(([p, lastOffset, maxEventTime]) => [p, { lastOffset, maxEventTime }]));

describe('the partials cache', () => {
  test('a row read or written in a committed batch is answered from memory afterwards, and so is a row known absent', () => {
    const cache = new PartialsCache();
    const a = target(0, 'a');
    const b = target(0, 'b');
    expect(cache.lookup(a)).toBeUndefined();
    cache.remember([[a, row(a, 3)], [b, null]], states([[0, 10n, 1_000]]), 0);
    expect(cache.lookup(a)).toMatchObject({ key: 'a', count: 3 });
    expect(cache.lookup(b)).toBeNull();
    expect(cache.lookup(target(1, 'a'))).toBeUndefined();
  });

  test('a partition another worker wrote to in between (its last offset moved) is forgotten', () => {
    const cache = new PartialsCache();
    const a = target(0, 'a');
    const c = target(1, 'c');
    cache.remember([[a, row(a)], [c, row(c)]], states([[0, 10n, 1_000], [1, 20n, 1_000]]), 0);
    cache.validate(states([[0, 15n, 1_000], [1, 20n, 1_000]]));
    expect(cache.lookup(a)).toBeUndefined();
    expect(cache.lookup(c)).toMatchObject({ key: 'c' });
  });

  test('after a failed transaction the batch partitions are forgotten', () => {
    const cache = new PartialsCache();
    const a = target(0, 'a');
    cache.remember([[a, row(a)]], states([[0, 10n, 1_000]]), 0);
    cache.forget([0]);
    expect(cache.lookup(a)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  test('windows the partition watermark has closed are dropped, present or absent', () => {
    const cache = new PartialsCache();
    const old = target(0, 'a', 0);
    const oldAbsent = target(0, 'b', 0);
    const open = target(0, 'a', 2 * MIN);
    // Watermark = max event time - lateness = 3 min - 30 s: past the first window's end, not the second's.
    cache.remember([[old, row(old)], [oldAbsent, null], [open, row(open)]], states([[0, 10n, 3 * MIN]]), 30_000);
    expect(cache.lookup(old)).toBeUndefined();
    expect(cache.lookup(oldAbsent)).toBeUndefined();
    expect(cache.lookup(open)).toMatchObject({ start: 2 * MIN });
    expect(cache.size).toBe(1);
  });

  test('past its size limit the cache forgets everything rather than grow', () => {
    const cache = new PartialsCache(2);
    const rows = ['a', 'b', 'c'].map((k) => target(0, k));
    cache.remember(rows.map((t) => [t, row(t)] as const), states([[0, 10n, null]]), 0);
    expect(cache.size).toBe(0);
    expect(cache.lookup(rows[0]!)).toBeUndefined();
  });
});
