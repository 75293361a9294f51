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
  test('a latency is counted under the smallest bound >= it; negative is the first bound, beyond the last overflows', () => {
    expect(latencyField(-5)).toBe('1');
    expect(latencyField(1)).toBe('1');
    expect(latencyField(1.2)).toBe('1.5');
    expect(latencyField(3)).toBe('3');
    expect(latencyField(3.5)).toBe('4');
    expect(latencyField(191)).toBe('200');
    expect(latencyField(59_000)).toBe('60000');
    expect(latencyField(1_200_000)).toBe('1200000');
    expect(latencyField(1_200_001)).toBe(LATENCY_OVERFLOW);
  });

  test('the layout is 10 steps per decade from 1 ms to 60 s, then a coarse tail to 20 minutes', () => {
    expect(LATENCY_BOUNDS_MS).toHaveLength(51);
    expect(LATENCY_BOUNDS_MS.slice(20, 31)).toEqual([100, 150, 200, 300, 400, 500, 600, 700, 800, 900, 1_000]);
    expect(LATENCY_BOUNDS_MS.slice(-5)).toEqual([60_000, 120_000, 300_000, 600_000, 1_200_000]);
  });

  test('p50/p95/p99 of uniform 1..200 ms land within 2% of the true values, not on bucket bounds', () => {
    const counts = new Map<string, number>();
    for (let ms = 1; ms <= 200; ms++) counts.set(latencyField(ms), (counts.get(latencyField(ms)) ?? 0) + 1);
    // True nearest-rank percentiles of 1..200: 100, 190, 198. Upper bounds would read 100, 200, 200.
    for (const [q, truth] of [[0.5, 100], [0.95, 190], [0.99, 198]] as const) {
      expect(Math.abs(quantile(counts, q)! - truth)).toBeLessThanOrEqual(truth * 0.02);
    }
    expect(quantile(counts, 0.99)).toBeGreaterThan(quantile(counts, 0.95)!);
  });

  test('latencies all inside one bucket interpolate from that bucket\'s lower edge, even with the buckets below empty', () => {
    // 30 events spread over (20, 30] ms: the quantiles spread over the bucket instead of reading 30 three times.
    const counts = new Map([['30', 30]]);
    expect([quantile(counts, 0.5), quantile(counts, 0.9), quantile(counts, 1)]).toEqual([25, 29, 30]);
  });

  test('minutes written with other bounds still merge: fields are read as numbers', () => {
    // 10 events under an older 1-2-5 field (50) and 10 under the current 40: the median is in (30, 40].
    expect(quantile(new Map([['50', 10], ['40', 10]]), 0.5)).toBe(40);
    expect(quantile(new Map([['50', 10], ['40', 10]]), 1)).toBe(50);
  });

  test('overflow reports the largest finite bound; no data is null', () => {
    expect(quantile(new Map([[LATENCY_OVERFLOW, 3]]), 0.5)).toBe(LATENCY_BOUNDS_MS.at(-1)!);
    expect(quantile(new Map(), 0.5)).toBeNull();
    expect(quantile(new Map([['5', 0]]), 0.5)).toBeNull();
  });
});
