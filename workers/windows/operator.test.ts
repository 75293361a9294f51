import { afterAll, describe, expect, test } from 'bun:test';
import Redis from 'ioredis';
import postgres from 'postgres';
import type { AggregateStep } from '../../shared/contracts/pipeline.ts';
import { readWindows, windowKeys } from '../../shared/stores/windows.ts';
import { connections, newRun } from '../testing.ts';
import { createWindowMirror } from './live.ts';
import { createWindowOperator, type AggregateTask } from './operator.ts';
import type { WindowItem } from './plan.ts';

// Real Postgres and Redis, under this run's schema and key prefix.
const run = newRun('windows');
const sql = postgres(connections.databaseUrl, { max: 4, onnotice: () => {} });
const redis = new Redis(connections.redisUrl, { maxRetriesPerRequest: 1 });

afterAll(async () => {
  await sql.unsafe(`drop schema if exists ${run.pgSchema} cascade`);
  const found = await redis.keys(`${run.redisPrefix}*`);
  if (found.length > 0) await redis.del(...found);
  await sql.end({ timeout: 5 });
  redis.disconnect();
});

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const spec = (lateness = '0s'): AggregateStep => ({
  type: 'aggregate',
  window: { kind: 'tumbling', size: '1m', allowedLateness: lateness },
  field: 'data.amount',
  functions: ['count', 'sum', 'avg', 'min', 'max', 'p95'],
  groupBy: 'key',
});
let offsets = new Map<number, bigint>();
const item = (partition: number, key: string, second: number, amount?: number): WindowItem => {
  const offset = offsets.get(partition) ?? 0n;
  offsets.set(partition, offset + 1n);
  return { partition, offset, eventId: `${partition}-${offset}`, event: { id: `${partition}-${offset}`, type: 'order', key, timestamp: at(second), data: amount === undefined ? {} : { amount } } };
};
const summary = async (pipelineId: string) =>
  (await readWindows(sql, run.pgSchema, { pipelineId })).map((r) => ({ key: r.key, start: r.windowStart.toISOString(), count: r.count, sum: r.sum, min: r.min, max: r.max, closed: r.closed }));

describe('the window operator', () => {
  test('a known sequence, out of order across two partitions, gives exact per-key results; late events are recorded, not counted', async () => {
    offsets = new Map();
    const task: AggregateTask = { pipelineId: `${run.id}-a`, step: 0, spec: spec('10s') };
    const op = createWindowOperator({ sql, schema: run.pgSchema });
    const batch1 = [item(0, 'k1', 5, 10), item(0, 'k1', 50, 5), item(1, 'k2', 20, 7), item(0, 'k1', 3, 1), item(1, 'k1', 61, 100)];
    await op.apply(task, batch1);
    // Partition 0 has seen 10:00:50, so its watermark is 10:00:40: an event at 10:00:30 is on time (out of order).
    const { late: none } = await op.apply(task, [item(0, 'k1', 30, 2)]);
    expect(none).toEqual([]);
    // Partition 0 moves to 10:01:15 (watermark 10:01:05 >= the first window's end): 10:00:59 is now late there.
    await op.apply(task, [item(0, 'k2', 75, 1)]);
    const { late } = await op.apply(task, [item(0, 'k1', 59, 1000)]);
    expect(late.map((l) => [l.partition, l.offset, l.key, new Date(l.end).toISOString()])).toEqual([[0, 5n, 'k1', at(60)]]);
    expect(await summary(task.pipelineId)).toEqual([
      { key: 'k1', start: at(0), count: 4, sum: 18, min: 1, max: 10, closed: false },
      { key: 'k2', start: at(0), count: 1, sum: 7, min: 7, max: 7, closed: false },
      { key: 'k1', start: at(60), count: 1, sum: 100, min: 100, max: 100, closed: false },
      { key: 'k2', start: at(60), count: 1, sum: 1, min: 1, max: 1, closed: false },
    ]);
    const rows = await sql.unsafe(`select event_id, value from ${run.pgSchema}.window_late where pipeline_id = $1`, [task.pipelineId]);
    expect(rows.map((r) => [r.event_id, r.value])).toEqual([['0-5', 1000]]);
  });

  test('a window closes once the slowest partition watermark passes its end', async () => {
    offsets = new Map();
    const task: AggregateTask = { pipelineId: `${run.id}-c`, step: 0, spec: spec() };
    const op = createWindowOperator({ sql, schema: run.pgSchema });
    await op.apply(task, [item(0, 'k', 10, 1), item(1, 'k', 20, 2), item(0, 'k', 70, 3)]);
    expect((await summary(task.pipelineId)).map((r) => r.closed)).toEqual([false, false]);
    const { results } = await op.apply(task, [item(1, 'k', 65, 4)]);
    expect((await summary(task.pipelineId)).map((r) => [r.start, r.count, r.closed])).toEqual([[at(0), 2, true], [at(60), 2, false]]);
    expect(results.some((r) => r.closed && r.windowStart.toISOString() === at(0))).toBe(true);
  });

  test('re-delivered batches and a restarted operator on the same state count nothing twice', async () => {
    offsets = new Map();
    const task: AggregateTask = { pipelineId: `${run.id}-r`, step: 0, spec: spec() };
    const events = [item(0, 'a', 1, 1.5), item(0, 'b', 2, 2.25), item(1, 'a', 3, 3), item(1, 'a', 62, 4), item(2, 'b', 70)];
    const first = createWindowOperator({ sql, schema: run.pgSchema });
    await first.apply(task, events.slice(0, 3));
    const before = await summary(task.pipelineId);
    // A crash before the commit: the worker that takes over gets the whole batch again, plus what followed.
    const second = createWindowOperator({ sql, schema: run.pgSchema });
    const again = await second.apply(task, events);
    expect(again.skipped).toBe(3);
    await second.apply(task, events);
    const after = await summary(task.pipelineId);
    expect(after.filter((r) => r.start === at(0))).toEqual(before);
    expect(after).toEqual([
      { key: 'a', start: at(0), count: 2, sum: 4.5, min: 1.5, max: 3, closed: false },
      { key: 'b', start: at(0), count: 1, sum: 2.25, min: 2.25, max: 2.25, closed: false },
      { key: 'a', start: at(60), count: 1, sum: 4, min: 4, max: 4, closed: false },
      { key: 'b', start: at(60), count: 1, sum: null, min: null, max: null, closed: false },
    ]);
  });

  test('a partition that moves to another worker and back is counted exactly, not from the first worker\'s memory', async () => {
    offsets = new Map();
    const task: AggregateTask = { pipelineId: `${run.id}-moved`, step: 0, spec: spec() };
    const a = createWindowOperator({ sql, schema: run.pgSchema });
    const b = createWindowOperator({ sql, schema: run.pgSchema });
    await a.apply(task, [item(0, 'k', 1, 1), item(0, 'k', 2, 2)]);
    await b.apply(task, [item(0, 'k', 3, 4)]); // a rebalance gave partition 0 to b for one batch
    await a.apply(task, [item(0, 'k', 4, 8)]); // and back to a, whose remembered partial is now stale
    expect(await summary(task.pipelineId)).toEqual([{ key: 'k', start: at(0), count: 4, sum: 15, min: 1, max: 8, closed: false }]);
  });

  test('hopping windows count an event in every window it falls in', async () => {
    offsets = new Map();
    const hopping: AggregateStep = { ...spec(), window: { kind: 'hopping', size: '1m', hop: '30s', allowedLateness: '0s' } };
    const task: AggregateTask = { pipelineId: `${run.id}-h`, step: 2, spec: hopping };
    await createWindowOperator({ sql, schema: run.pgSchema }).apply(task, [item(0, 'k', 40, 1), item(0, 'k', 50, 2), item(0, 'k', 95, 4)]);
    expect((await summary(task.pipelineId)).map((r) => [r.start, r.count, r.sum])).toEqual([
      [at(0), 2, 3],
      [at(30), 2, 3],
      [at(60), 1, 4],
      [at(90), 1, 4],
    ]);
  });

  test('results mirrored to Redis match Postgres, and recent windows are indexed per pipeline', async () => {
    offsets = new Map();
    const task: AggregateTask = { pipelineId: `${run.id}-m`, step: 0, spec: spec() };
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const recent = (amount: number, ms: number) => ({ ...item(0, 'k', 0, amount), event: { id: `m${ms}`, type: 'order', key: 'k', timestamp: new Date(minute + ms).toISOString(), data: { amount } } });
    const { results } = await createWindowOperator({ sql, schema: run.pgSchema }).apply(task, [recent(2, 1), recent(4, 2)]);
    await createWindowMirror({ redis, prefix: run.redisPrefix }).publish(results);
    const k = windowKeys(run.redisPrefix);
    expect(await redis.hgetall(k.window(task.pipelineId, 0, 'k', minute))).toMatchObject({ count: '2', sum: '6', avg: '3', min: '2', max: '4', closed: '0' });
    expect(await redis.zrange(k.index(task.pipelineId), 0, -1)).toEqual([k.member(0, 'k', minute)]);
  });
});
