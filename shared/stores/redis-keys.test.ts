import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { eventType } from '../contracts/index.ts';
import { epochMinute, epochSecond, keys, LATENCY_BOUNDS_MS, LATENCY_OVERFLOW, latencyField, NO_SOURCE, OTHER, quantile } from './redis-keys.ts';

describe('the Redis key layout', () => {
  test('the field for types past the cap is one no event type can have', () => {
    expect(v.safeParse(eventType, OTHER).success).toBe(false);
    expect(v.safeParse(eventType, 'other').success).toBe(true);
  });

  test('every key is the prefix plus its documented name', () => {
    const k = keys('el:');
    expect([k.seen('e1'), k.total, k.byType, k.bySource, k.perSecond(7), k.perMinute(8), k.latency(9), k.latest('s-1'), k.recent]).toEqual([
      'el:seen:e1',
      'el:total',
      'el:by_type',
      'el:by_source',
      'el:sec:7',
      'el:min:8',
      'el:latency:9',
      'el:latest:s-1',
      'el:recent',
    ]);
    expect(NO_SOURCE).toBe('(none)');
  });

  test('epoch seconds and minutes round down', () => {
    expect(epochSecond(1_999)).toBe(1);
    expect(epochMinute(119_999)).toBe(1);
    expect(epochMinute(120_000)).toBe(2);
  });
});

describe('latency buckets', () => {
  test('a latency is counted under the smallest bound >= it; negative is 0, beyond the last bound overflows', () => {
    expect(latencyField(-5)).toBe('1');
    expect(latencyField(1)).toBe('1');
    expect(latencyField(3)).toBe('5');
    expect(latencyField(1_000_000)).toBe('1000000');
    expect(latencyField(1_000_001)).toBe(LATENCY_OVERFLOW);
  });

  test('quantiles are bucket upper bounds; overflow reports the largest finite bound; no data is null', () => {
    const counts = new Map([
      ['5', 50],
      ['50', 45],
      ['1000', 4],
      ['50000', 1],
    ]);
    expect([quantile(counts, 0.5), quantile(counts, 0.95), quantile(counts, 0.99), quantile(counts, 1)]).toEqual([5, 50, 1_000, 50_000]);
    expect(quantile(new Map([[LATENCY_OVERFLOW, 3]]), 0.5)).toBe(LATENCY_BOUNDS_MS.at(-1)!);
    expect(quantile(new Map(), 0.5)).toBeNull();
  });
});
