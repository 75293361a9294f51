import { afterAll, afterEach, describe, expect, test } from 'bun:test';
import Redis from 'ioredis';
import type { StampedEvent } from '../../../shared/contracts/index.ts';
import type { Sink } from '../types.ts';
import { createRedisSink, epochMinute, epochSecond, keys, readLatest, readLiveStats, readRecent, type RedisSinkOptions } from './index.ts';
import { listKeys } from '../../../shared/stores/redis-scan.ts';
import { OTHER } from '../../../shared/stores/redis-keys.ts';
import { Registry } from '../../../shared/telemetry/metrics.ts';

// Runs against the real, shared Redis: every test writes under its own prefix and deletes it afterwards.
const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const redis = new Redis(url);
const prefixes: string[] = [];
const sinks: Sink[] = [];

function newPrefix(): string {
  const prefix = `test:redis-sink:${crypto.randomUUID()}:`;
  prefixes.push(prefix);
  return prefix;
}

function sinkAt(prefix: string, options: RedisSinkOptions = {}): Sink {
  const sink = createRedisSink({ url, ...options, config: { keyPrefix: prefix, ...options.config } });
  sinks.push(sink);
  return sink;
}

const keysUnder = (prefix: string): Promise<string[]> => listKeys(redis, `${prefix}*`);

/** Every key under the prefix with its value, to compare the store before and after a write. */
async function snapshot(prefix: string): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    (await keysUnder(prefix)).map(async (key): Promise<[string, unknown]> => {
      const type = await redis.type(key);
      if (type === 'hash') return [key, await redis.hgetall(key)];
      if (type === 'list') return [key, await redis.lrange(key, 0, -1)];
      return [key, await redis.get(key)];
    }),
  );
  return Object.fromEntries(entries);
}

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  for (const prefix of prefixes.splice(0)) {
    const found = await keysUnder(prefix);
    if (found.length) await redis.del(...found);
  }
});
afterAll(() => redis.disconnect());

// Near the real clock: bucket keys expire at their own time + TTL, so events from long ago would vanish at once.
const base = Math.floor(Date.now() / 1000) * 1000 - 10_000;
const at = (ms: number) => new Date(ms).toISOString();

function event(id: string, fields: Partial<StampedEvent> = {}): StampedEvent {
  return { id, type: 'order.created', source: 'shop', timestamp: at(base), key: id, receivedAt: at(base), data: {}, ...fields };
}

const reading = (id: string, sensor: string, value: number, ms: number, unit?: string): StampedEvent =>
  event(id, { type: 'sensor.reading', source: 'sensors', key: sensor, timestamp: at(ms), data: { sensor_id: sensor, value, ...(unit && { unit }) } });

const batch: StampedEvent[] = [
  event('e1'),
  event('e2', { receivedAt: at(base + 1_000) }),
  event('e3', { type: 'user.signup', source: 'web', receivedAt: at(base + 1_000) }),
  event('e4', { type: 'user.signup', source: undefined, receivedAt: at(base + 2_000) }),
  reading('e5', 's-1', 21.5, base, 'C'),
];

describe('the Redis sink keeps live statistics', () => {
  test('a batch increments total, per type, per source and the time buckets exactly once per event', async () => {
    const prefix = newPrefix();
    const k = keys(prefix);
    expect(await sinkAt(prefix).write(batch)).toEqual(batch.map(() => ({ type: 'ok' })));
    expect(await redis.get(k.total)).toBe('5');
    expect(await redis.hgetall(k.byType)).toEqual({ 'order.created': '2', 'user.signup': '2', 'sensor.reading': '1' });
    expect(await redis.hgetall(k.bySource)).toEqual({ shop: '2', web: '1', '(none)': '1', sensors: '1' });
    const second = epochSecond(base);
    expect(await redis.mget(k.perSecond(second), k.perSecond(second + 1), k.perSecond(second + 2))).toEqual(['2', '2', '1']);
    const minutes = new Map<number, number>();
    for (const e of batch) minutes.set(epochMinute(Date.parse(e.receivedAt)), (minutes.get(epochMinute(Date.parse(e.receivedAt))) ?? 0) + 1);
    for (const [minute, count] of minutes) expect(await redis.get(k.perMinute(minute))).toBe(String(count));
  });

  test('each time bucket expires its own TTL after its second or minute ends', async () => {
    const prefix = newPrefix();
    const k = keys(prefix);
    await sinkAt(prefix, { config: { perSecondTtlSeconds: 120, perMinuteTtlSeconds: 7_200 } }).write(batch);
    const second = epochSecond(base);
    for (const s of [second, second + 1, second + 2]) expect(await redis.expiretime(k.perSecond(s))).toBe(s + 1 + 120);
    for (const e of batch) {
      const minute = epochMinute(Date.parse(e.receivedAt));
      expect(await redis.expiretime(k.perMinute(minute))).toBe((minute + 1) * 60 + 7_200);
    }
  });

  test('writing the same batch again (re-delivery) changes no counter', async () => {
    const prefix = newPrefix();
    const now = () => base + 50;
    await sinkAt(prefix, { now }).write(batch);
    const before = await snapshot(prefix);
    // A fresh sink, as after a worker restart, and an event repeated inside the batch.
    expect(await sinkAt(prefix, { now }).write([...batch, batch[0] as StampedEvent])).toEqual([...batch, batch[0]].map(() => ({ type: 'ok' })));
    expect(await snapshot(prefix)).toEqual(before);
  });

  test('the latest reading per sensor is the newest by timestamp even when an older reading arrives after', async () => {
    const prefix = newPrefix();
    const sink = sinkAt(prefix);
    await sink.write([reading('r2', 's-1', 22, base + 2_000, 'C'), reading('r1', 's-1', 20, base + 1_000, 'C')]);
    await sink.write([reading('r0', 's-1', 19, base, 'C'), reading('q1', 's-2', 5, base)]);
    expect(await readLatest(redis, prefix, 's-1')).toEqual({ value: 22, unit: 'C', timestamp: at(base + 2_000), id: 'r2' });
    await sink.write([reading('r3', 's-1', 23, base + 3_000)]);
    expect(await readLatest(redis, prefix, 's-1')).toEqual({ value: 23, timestamp: at(base + 3_000), id: 'r3' });
    expect(await readLatest(redis, prefix, 's-2')).toMatchObject({ value: 5, id: 'q1' });
    expect(await readLatest(redis, prefix, 'order-key')).toBeNull();
  });

  test('the recent list keeps the newest N only', async () => {
    const prefix = newPrefix();
    const events = Array.from({ length: 8 }, (_, i) => event(`n${i}`));
    await sinkAt(prefix, { config: { recentLength: 5 } }).write(events);
    const recent = await readRecent(redis, prefix);
    expect(recent.map((entry) => entry.id)).toEqual(['n7', 'n6', 'n5', 'n4', 'n3']);
    expect(recent[0]).toEqual({ id: 'n7', type: 'order.created', source: 'shop', key: 'n7', timestamp: at(base) });
  });

  test('the latency histogram yields p50 <= p95 <= p99 interpolated inside their buckets for known latencies', async () => {
    const prefix = newPrefix();
    const now = base + 60_000;
    // 50 events at 3 ms (bucket 2-3), 45 at 40 ms (30-40), 4 at 700 ms (600-700), 1 at 30 s (20000-30000): each
    // percentile's rank is its bucket's last event, so interpolation reads the bucket's upper edge.
    const latencies = [...Array(50).fill(3), ...Array(45).fill(40), ...Array(4).fill(700), 30_000] as number[];
    const events = latencies.map((ms, i) => event(`l${i}`, { receivedAt: at(now - ms) }));
    await sinkAt(prefix, { now: () => now }).write(events);
    const { latency } = await readLiveStats(redis, prefix, { now });
    expect(latency).toEqual({ count: 100, p50: 3, p95: 40, p99: 700 });
  });

  test('p50/p95/p99 of latencies spread over 1..200 ms are read within 2% of the true values', async () => {
    const prefix = newPrefix();
    const now = base + 60_000;
    const events = Array.from({ length: 200 }, (_, i) => event(`u${i}`, { receivedAt: at(now - (i + 1)) }));
    await sinkAt(prefix, { now: () => now }).write(events);
    const { latency } = await readLiveStats(redis, prefix, { now });
    expect(latency.count).toBe(200);
    // Nearest-rank truth: 100, 190, 198 ms. Bucket upper bounds would read 100, 200, 200.
    expect(Math.abs(latency.p50! - 100)).toBeLessThanOrEqual(2);
    expect(Math.abs(latency.p95! - 190)).toBeLessThanOrEqual(3.8);
    expect(Math.abs(latency.p99! - 198)).toBeLessThanOrEqual(3.96);
  });

  test('with an unreachable server (port 1) every event is retry and nothing throws or hangs', async () => {
    const sink = createRedisSink({ url: 'redis://127.0.0.1:1', config: { connectTimeoutMs: 500 } });
    sinks.push(sink);
    const unavailable = batch.map(() => expect.objectContaining({ type: 'retry', reason: 'redis_unavailable' }));
    expect(await sink.write(batch)).toEqual(unavailable);
    expect(await sink.write(batch)).toEqual(unavailable);
    expect(await sink.ready()).toBe(false);
  });

  test('readLiveStats returns what was written', async () => {
    const prefix = newPrefix();
    const now = base + 5_000;
    await sinkAt(prefix, { now: () => now }).write(batch);
    const stats = await readLiveStats(redis, prefix, { now });
    expect(stats).toMatchObject({
      total: 5,
      byType: { 'order.created': 2, 'user.signup': 2, 'sensor.reading': 1 },
      bySource: { shop: 2, web: 1, '(none)': 1, sensors: 1 },
      latency: { count: 5 },
    });
    expect(stats.perSecond).toHaveLength(60);
    expect(stats.perSecond.at(-1)).toEqual({ at: epochSecond(now), count: 0 });
    const second = epochSecond(base);
    expect(stats.perSecond.filter((s) => s.count > 0)).toEqual([
      { at: second, count: 2 },
      { at: second + 1, count: 2 },
      { at: second + 2, count: 1 },
    ]);
    expect(stats.perMinute.reduce((sum, m) => sum + m.count, 0)).toBe(5);
  });
});

describe('the Redis sink bounds what clients can make it keep', () => {
  // Eight types and eight sources, three events each; two of every type and source come first.
  const types = Array.from({ length: 8 }, (_, n) => `type.${n}`);
  const invented = types.flatMap((type, n) =>
    Array.from({ length: 3 }, (_, i) => event(`c${n}-${i}`, { type, source: `src-${n}`, receivedAt: at(base + i * 1_000) })),
  );
  const sum = (hash: Record<string, string>) => Object.values(hash).reduce((total, n) => total + Number(n), 0);

  test('past the cap, new types and sources are counted under (other) and the totals still add up', async () => {
    const prefix = newPrefix();
    const k = keys(prefix);
    const sink = sinkAt(prefix, { config: { maxTypes: 5, maxSources: 5, eventsPerScript: 7 } });
    expect(await sink.write(invented)).toEqual(invented.map(() => ({ type: 'ok' })));
    for (const hash of [await redis.hgetall(k.byType), await redis.hgetall(k.bySource)]) {
      expect(Object.keys(hash)).toHaveLength(6);
      expect(sum(hash)).toBe(24);
      // A type is whole where it is counted: all three of its events, or none (they are under other).
      const own = Object.entries(hash).filter(([field]) => field !== OTHER);
      expect(own.map(([, n]) => n)).toEqual(['3', '3', '3', '3', '3']);
      expect(hash[OTHER]).toBe('9');
    }
    expect(await redis.get(k.total)).toBe('24');
    const stats = await readLiveStats(redis, prefix);
    expect(stats.byType[OTHER]).toBe(9);
  });

  test('a type already counted keeps its own field after the cap is reached', async () => {
    const prefix = newPrefix();
    const k = keys(prefix);
    const sink = sinkAt(prefix, { config: { maxTypes: 2 } });
    await sink.write([event('a1', { type: 'a' }), event('b1', { type: 'b' })]);
    await sink.write([event('c1', { type: 'c' }), event('a2', { type: 'a' }), event('d1', { type: 'd' })]);
    expect(await redis.hgetall(k.byType)).toEqual({ a: '2', b: '1', [OTHER]: '2' });
  });

  test('writing the same events again changes no count, under (other) either', async () => {
    const prefix = newPrefix();
    const now = () => base + 50;
    const config = { maxTypes: 5, maxSources: 5 };
    await sinkAt(prefix, { now, config }).write(invented);
    const before = await snapshot(prefix);
    await sinkAt(prefix, { now, config }).write(invented);
    await sinkAt(prefix, { now, config }).write([...invented].reverse());
    expect(await snapshot(prefix)).toEqual(before);
  });

  test('the caps and the events folded into (other) are reported as metrics', async () => {
    const prefix = newPrefix();
    const registry = new Registry();
    await sinkAt(prefix, { registry, config: { maxTypes: 5, maxSources: 7 } }).write(invented);
    const text = registry.render();
    expect(text).toContain('workers_redis_cardinality_cap_fields{map="by_type"} 5');
    expect(text).toContain('workers_redis_cardinality_cap_fields{map="by_source"} 7');
    expect(text).toContain('workers_redis_folded_events_total{map="by_type"} 9');
    expect(text).toContain('workers_redis_folded_events_total{map="by_source"} 3');
  });

  test('latest values expire a set time after their last update', async () => {
    const prefix = newPrefix();
    const sink = sinkAt(prefix, { config: { latestTtlSeconds: 3_600 } });
    await sink.write([reading('t1', 's-1', 1, base)]);
    const ttl = await redis.ttl(keys(prefix).latest('s-1'));
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);
    await redis.expire(keys(prefix).latest('s-1'), 60);
    await sink.write([reading('t2', 's-1', 2, base + 1_000)]);
    expect(await redis.ttl(keys(prefix).latest('s-1'))).toBeGreaterThan(3_500);
  });
});

describe('the Redis sink reports failures as outcomes', () => {
  test('an event whose key has the wrong type is dead-lettered alone, uncounted', async () => {
    const prefix = newPrefix();
    await redis.rpush(keys(prefix).latest('s-bad'), 'not a hash');
    const outcomes = await sinkAt(prefix).write([event('w1'), reading('w2', 's-bad', 1, base), event('w3')]);
    expect(outcomes.map((o) => (o.type === 'ok' ? 'ok' : `${o.type}:${o.reason}`))).toEqual(['ok', 'dlq:redis_wrongtype', 'ok']);
    // The dead-lettered event is neither counted nor marked seen, so replaying it from the DLQ counts it once.
    expect(await redis.get(keys(prefix).total)).toBe('2');
    expect(await redis.exists(keys(prefix).seen('w2'))).toBe(0);
  });

  test('an event without a readable receivedAt is dead-lettered without touching Redis', async () => {
    const prefix = newPrefix();
    expect(await sinkAt(prefix).write([event('x1', { receivedAt: 'yesterday' })])).toEqual([expect.objectContaining({ type: 'dlq', reason: 'invalid_event' })]);
    expect(await keysUnder(prefix)).toEqual([]);
  });

  test('a closed sink answers retry and is not ready', async () => {
    const sink = sinkAt(newPrefix());
    expect(await sink.ready()).toBe(true);
    await sink.close();
    expect(await sink.write([event('c1')])).toEqual([expect.objectContaining({ type: 'retry', reason: 'redis_unavailable' })]);
    expect(await sink.ready()).toBe(false);
  });
});
