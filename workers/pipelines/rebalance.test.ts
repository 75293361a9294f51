import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { type EventTopic } from '../../shared/testing/events.ts';
import { waitFor, readable } from '../../shared/testing/wait.ts';
import { newRun, storeReaders } from '../testing.ts';
import type { Worker } from '../worker.ts';
import { pipelineWorker, windowedTopic, windowRows } from './testing.ts';

// Real Kafka, Postgres, Redis and Elasticsearch; everything lives under this run's unique names.
const run = newRun('rejoin');
const stores = storeReaders();
const pipelineId = `rejoin-${run.id}`;
const N = 10_000;
let source: EventTopic;
let fixture: Awaited<ReturnType<typeof windowedTopic>>;
const workers: Worker[] = [];

const at = (s: number) => new Date(Date.parse('2024-05-01T10:00:00.000Z') + s * 1000).toISOString();

beforeAll(async () => {
  fixture = await windowedTopic(stores, run, { what: 'rejoin', partitions: 2, pipelineId });
  source = fixture.source;
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await fixture?.close();
});

const committed = () => fixture.committed();

/** Messages a worker took in batches, re-deliveries included. */
const taken = (w: Worker) => Number(/workers_batch_size_events_sum (\d+)/.exec(w.metrics.registry.render())?.[1] ?? 0);

describe('a member joining while window items wait for their flush', () => {
  test('the first member flushes and commits them before giving up partitions, so no event is processed twice', async () => {
    const events = Array.from({ length: N }, (_, i) => ({ type: 'order.created', key: `k-${i % 10}`, timestamp: at(i % 50), data: { amount: 1 } }));
    for (let i = 0; i < N; i += 5_000) expect((await source.publish(events.slice(i, i + 5_000))).ids).toHaveLength(5_000);
    // Small batches and no interval flush: the first member is behind for hundreds of batches, all deferred.
    const first = pipelineWorker(run, source.topic, () => {}, { flushMs: 600_000 }, { batchSize: 2 });
    workers.push(first);
    await waitFor(readable(async () => taken(first) >= 20), 30_000, 'the first member under way');
    expect(await committed()).toBe(0);
    const second = pipelineWorker(run, source.topic, () => {}, { flushMs: 600_000 }, { batchSize: 2 });
    workers.push(second);
    await waitFor(readable(async () => (await committed()) === N), 90_000, 'every event committed');
    // Before the fix the revoke dropped the deferred offsets and the partitions' next owner read them all again.
    expect(taken(first) + taken(second)).toBe(N);
    expect(taken(second)).toBeGreaterThan(0);
    const rows = await windowRows(stores, run, pipelineId);
    expect(rows.reduce((sum, r) => sum + r.count, 0)).toBe(N);
  }, 150_000);
});
