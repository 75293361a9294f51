import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import Redis from 'ioredis';
import { epochMinute, epochSecond, keys, OTHER } from './redis-keys.ts';
import { readLatest, readLiveStats, readRecent } from './redis-readers.ts';

// Runs against the real, shared Redis, writing the layout by hand (the sink's own tests cover the writer side) under
// a prefix of its own that is deleted afterwards.
const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
const prefix = `test:redis-readers:${crypto.randomUUID()}:`;
const k = keys(prefix);

afterEach(async () => {
  const found = await redis.keys(`${prefix}*`);
  if (found.length) await redis.del(...found);
});
afterAll(() => redis.disconnect());

describe('the Redis readers', () => {
  test('readLiveStats reads counters, zero-fills the time series and merges the latency minutes', async () => {
    const now = Date.now();
    const second = epochSecond(now);
    const minute = epochMinute(now);
    await redis
      .multi()
      .set(k.total, 7)
      .hset(k.byType, { 'order.created': 4, 'user.signup': 3 })
      .hset(k.bySource, { shop: 6, '(none)': 1 })
      .set(k.perSecond(second - 2), 5)
      .set(k.perMinute(minute), 7)
      .hset(k.latency(minute), { '5': 2 })
      .hset(k.latency(minute - 1), { '5': 1, '+Inf': 1 })
      .exec();
    const stats = await readLiveStats(redis, prefix, { now, seconds: 4, minutes: 2 });
    expect(stats).toEqual({
      total: 7,
      byType: { 'order.created': 4, 'user.signup': 3 },
      bySource: { shop: 6, '(none)': 1 },
      perSecond: [3, 2, 1, 0].map((ago) => ({ at: second - ago, count: ago === 2 ? 5 : 0 })),
      perMinute: [
        { at: minute - 1, count: 0 },
        { at: minute, count: 7 },
      ],
      // Three of four in the (4, 5] ms bucket: the median is two thirds into it; the overflow reads the last bound.
      latency: { count: 4, p50: expect.closeTo(4 + 2 / 3, 6), p95: 1_200_000, p99: 1_200_000 },
    });
  });

  test('events counted under (other) past the caps read as one entry that completes the total', async () => {
    await redis.multi().set(k.total, 9).hset(k.byType, { a: 4, b: 2, [OTHER]: 3 }).hset(k.bySource, { shop: 8, [OTHER]: 1 }).exec();
    const stats = await readLiveStats(redis, prefix, { seconds: 1, minutes: 1 });
    expect(stats.byType).toEqual({ a: 4, b: 2, '(other)': 3 });
    expect(stats.bySource).toEqual({ shop: 8, '(other)': 1 });
    expect(Object.values(stats.byType).reduce((sum, n) => sum + n, 0)).toBe(stats.total);
  });

  test('an empty store reads as zeros and null percentiles', async () => {
    const stats = await readLiveStats(redis, prefix, { seconds: 1, minutes: 1 });
    expect(stats).toMatchObject({ total: 0, byType: {}, bySource: {}, latency: { count: 0, p50: null, p95: null, p99: null } });
  });

  test('readLatest reads value, optional unit, timestamp and id; null when there is none', async () => {
    await redis.hset(k.latest('s-1'), { value: '21.5', unit: 'C', timestamp: '2024-01-01T00:00:00.000Z', ts_ms: '1704067200000', id: 'e1' });
    await redis.hset(k.latest('s-2'), { value: '3', timestamp: '2024-01-01T00:00:00.000Z', ts_ms: '1704067200000', id: 'e2' });
    expect(await readLatest(redis, prefix, 's-1')).toEqual({ value: 21.5, unit: 'C', timestamp: '2024-01-01T00:00:00.000Z', id: 'e1' });
    expect(await readLatest(redis, prefix, 's-2')).toEqual({ value: 3, timestamp: '2024-01-01T00:00:00.000Z', id: 'e2' });
    expect(await readLatest(redis, prefix, 's-3')).toBeNull();
  });

  test('readRecent returns the list head first', async () => {
    const entry = (id: string) => JSON.stringify({ id, type: 't', key: id, timestamp: '2024-01-01T00:00:00.000Z' });
    await redis.lpush(k.recent, entry('a'), entry('b'));
    expect((await readRecent(redis, prefix)).map((e) => e.id)).toEqual(['b', 'a']);
  });
});
