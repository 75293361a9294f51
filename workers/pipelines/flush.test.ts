import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type EventTopic } from '../../shared/testing/events.ts';
import { waitFor, readable } from '../../shared/testing/wait.ts';
import { newRun, storeReaders } from '../testing.ts';
import type { Worker } from '../worker.ts';
import { pipelineWorker, windowedTopic, windowRows } from './testing.ts';

// Real Kafka, Postgres, Redis and Elasticsearch; everything lives under this run's unique names.
const run = newRun('flush');
const stores = storeReaders();
const pipelineId = `flush-${run.id}`;
let source: EventTopic;
let fixture: Awaited<ReturnType<typeof windowedTopic>>;
let worker: Worker | undefined;

const at = (s: number) => new Date(Date.parse('2024-05-01T10:00:00.000Z') + s * 1000).toISOString();
const order = (key: string, second: number, amount: number) => ({ type: 'order.created', key, timestamp: at(second), data: { amount } });

beforeAll(async () => {
  // One partition: the worker knows it has caught up when every partition it owns is at its high watermark.
  fixture = await windowedTopic(stores, run, { what: 'flush', partitions: 1, pipelineId });
  source = fixture.source;
});

afterAll(async () => {
  await worker?.stop();
  await fixture?.close();
});

const committed = () => fixture.committed();

const metric = (name: string) => Number(new RegExp(`${name} (\\d+)`).exec(worker!.metrics.registry.render())?.[1] ?? 0);

describe('window flushes', () => {
  test('a backlog is windowed a flush at a time, not a write per batch, and nothing is committed before its flush', async () => {
    // 40 events wait in Kafka before the worker starts; it takes them 4 per batch, so it is behind for ~10 batches.
    const events = Array.from({ length: 40 }, (_, i) => order(i % 2 ? 'a' : 'b', i, i));
    expect((await source.publish(events)).ids).toHaveLength(40);
    worker = pipelineWorker(run, source.topic, () => {}, { flushMs: 600_000 }, { batchSize: 4 });
    await waitFor(readable(async () => (await committed()) === 40), 45_000, 'every event committed');
    const batches = metric('workers_batch_size_events_count');
    const flushes = metric('workers_window_flush_seconds_count');
    expect(batches).toBeGreaterThanOrEqual(10);
    // Every batch came full until the backlog was gone, so the one flush came when it was: not one per batch, and
    // not even one at the first batch (a worker that flushed whenever none was in flight made two here).
    expect(flushes).toBe(1);
    // Committed means flushed: the windows already hold every committed event.
    const rows = await windowRows(stores, run, pipelineId);
    expect(rows.map(({ key, start, count, sum, max }) => ({ key, start, count, sum, max }))).toEqual([
      { key: 'a', start: at(0), count: 20, sum: 400, max: 39 },
      { key: 'b', start: at(0), count: 20, sum: 380, max: 38 },
    ]);
    // p95 by nearest rank is 37 and 36; the log-bucket histogram reports it within 2%.
    expect(Math.abs(rows[0]!.p95! / 37 - 1)).toBeLessThan(0.02);
    expect(Math.abs(rows[1]!.p95! / 36 - 1)).toBeLessThan(0.02);
  });

  test('once caught up, new events are windowed at once rather than at the flush interval', async () => {
    expect((await source.publish([order('a', 50, 1000)])).ids).toHaveLength(1);
    await waitFor(readable(async () => (await windowRows(stores, run, pipelineId))[0]?.count === 21), 30_000, 'the new event windowed');
    expect(await committed()).toBe(41);
    await worker!.stop();
    worker = undefined;
  });

  test('a backlog that ends on a full batch is windowed and committed without waiting for a poll to come back empty', async () => {
    // 8 events, 4 per batch: both batches are full, so only the partition's high watermark says the worker is at the
    // end. Without that check the flush (and the commit) would wait for the next poll to find nothing: 10 s here.
    expect((await source.publish(Array.from({ length: 8 }, (_, i) => order('c', 55, i)))).ids).toHaveLength(8);
    worker = pipelineWorker(run, source.topic, () => {}, { flushMs: 600_000 }, { batchSize: 4, pollTimeoutMs: 10_000 });
    await waitFor(readable(async () => metric('workers_batch_size_events_count') >= 2), 45_000, 'both batches processed');
    await waitFor(readable(async () => (await committed()) === 49), 8_000, 'committed before the next poll came back empty');
    expect(metric('workers_window_flush_seconds_count')).toBe(1);
    const rows = await windowRows(stores, run, pipelineId);
    expect(rows.find((r) => r.key === 'c')).toMatchObject({ start: at(0), count: 8, sum: 28, max: 7 });
    await worker!.stop(); // waits for the poll under way (up to pollTimeoutMs)
    worker = undefined;
  }, 90_000);
});
