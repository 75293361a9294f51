import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { StampedEvent } from '../shared/contracts/index.ts';
import { createProducer } from '../shared/kafka/index.ts';
import { readAll } from '../shared/kafka/testing.ts';
import { eventTopic, type EventTopic } from '../shared/testing/events.ts';
import { createTopic } from '../shared/testing/topics.ts';
import { waitFor, readable } from '../shared/testing/wait.ts';
import { readDeadLetterHeaders } from './dlq.ts';
import { serveWorkerHttp } from './http.ts';
import { newRun, runConfig, runSinks, storeReaders, uncommitted } from './testing.ts';
import { createWorkerMetrics } from './metrics.ts';
import { createWorker, type Worker } from './worker.ts';

// Real Kafka, Elasticsearch, Postgres and Redis; everything this file writes lives under one run's unique names.
const run = newRun('worker');
const stores = storeReaders();
const logs: string[] = [];
let source: EventTopic;
let worker: Worker;
let http: ReturnType<typeof serveWorkerHttp>;
const producer = createProducer();
const accepted: string[] = [];

beforeAll(async () => {
  source = await eventTopic({ what: 'workers' });
  await createTopic(source.admin, run.dlqTopic, 1);
  const metrics = createWorkerMetrics();
  worker = createWorker({ config: runConfig(run, source.topic, { batchSize: 200 }), metrics, sinks: runSinks(run, { registry: metrics.registry }), log: (l) => logs.push(l) });
  http = serveWorkerHttp({ worker, port: 0, hostname: '127.0.0.1' });
});

afterAll(async () => {
  await worker?.stop();
  await http?.stop(true);
  await producer.close();
  await source?.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
  await source?.close();
  await stores.cleanup(run);
  await stores.close();
});

/** Validates, stamps and produces the events as the edge does (shared/testing/events.ts); returns the ids on the topic. */
async function postEvents(events: unknown[]): Promise<string[]> {
  const published = await source.publish(events);
  expect(published.refused).toEqual([]);
  const ids = published.ids;
  accepted.push(...ids);
  return ids;
}

const allArrived = (n: number) => async () => {
  const c = await stores.counts(run);
  return c.es >= n && c.pg >= n && c.redis >= n;
};

const url = (path: string) => `http://127.0.0.1:${http.port}${path}`;

describe('a worker consuming what the edge accepted', () => {
  test('events posted to the edge appear in all three stores exactly once, with the same ids and fields', async () => {
    const orders = Array.from({ length: 40 }, (_, i) => ({ type: 'order.created', source: 'checkout', key: `customer-${i % 7}`, data: { amount: i * 1.5, currency: 'EUR', items: [{ sku: `s-${i}`, qty: 1 }] } }));
    const views = Array.from({ length: 15 }, (_, i) => ({ id: `view-${run.id}-${i}`, type: 'page.view', data: { path: `/p/${i}` } }));
    const readings = Array.from({ length: 5 }, (_, i) => ({ type: 'sensor.reading', source: 'sensors', data: { sensor_id: `t-${i}`, value: 20 + i, unit: 'C' } }));
    const ids = await postEvents([...orders, ...views, ...readings]);
    expect(ids.length).toBe(60);
    await waitFor(readable(allArrived(60)), 45_000, 'the 60 events in every store');
    expect(await stores.counts(run)).toEqual({ es: 60, pg: 60, redis: 60 });

    const { hits } = await stores.es.search<StampedEvent>({ index: run.esPrefix, size: 100, query: { match_all: {} } });
    const inEs = new Map(hits.hits.map((h) => [h._id, h._source!]));
    expect([...inEs.keys()].sort()).toEqual([...ids].sort());
    const rows = await stores.sql<{ event_id: string; type: string; source: string | null; key: string; event_time: Date; received_at: Date; data: unknown }[]>`
      select event_id, type, source, key, event_time, received_at, data from ${stores.sql(`${run.pgSchema}.events`)}`;
    expect(rows.map((r) => r.event_id).sort()).toEqual([...ids].sort());
    for (const row of rows) {
      const doc = inEs.get(row.event_id)!;
      expect({ id: row.event_id, type: row.type, key: row.key, data: row.data }).toEqual({ id: doc.id, type: doc.type, key: doc.key, data: doc.data });
      expect(row.source ?? undefined).toBe(doc.source);
      expect(row.event_time.toISOString()).toBe(doc.timestamp);
      expect(row.received_at.toISOString()).toBe(doc.receivedAt);
    }
    expect(inEs.get(`view-${run.id}-3`)).toMatchObject({ type: 'page.view', data: { path: '/p/3' } });
    const stats = await stores.redisStats(run);
    expect(stats.byType).toEqual({ 'order.created': 40, 'page.view': 15, 'sensor.reading': 5 });
    expect(stats.bySource).toEqual({ checkout: 40, '(none)': 15, sensors: 5 });
    expect(await stores.seenCount(run)).toBe(60);
    for (const id of ids.slice(0, 10)) expect(await stores.redis.exists(stores.seenKey(run, id))).toBe(1);
  });

  test('a document whose data the search mapping refuses is still stored everywhere, its data kept unindexed, and nothing is dead-lettered', async () => {
    const before = await stores.counts(run);
    const bad = { id: `conflict-${run.id}`, type: 'order.created', source: 'checkout', data: { amount: { value: 3, note: 'object where a number was mapped' } } };
    const good = Array.from({ length: 9 }, (_, i) => ({ type: 'order.created', source: 'checkout', data: { amount: 100 + i } }));
    const ids = await postEvents([...good.slice(0, 4), bad, ...good.slice(4)]);
    await waitFor(readable(async () => (await stores.pgCount(run)) >= before.pg + 10 && (await stores.redisStats(run)).total >= before.redis + 10), 30_000, 'the batch in Postgres and Redis');
    await waitFor(readable(async () => (await stores.esCount(run)) >= before.es + 10), 30_000, 'the 10 events in the index');
    const indexed = await stores.es.search<Record<string, unknown>>({ index: run.esPrefix, size: 20, query: { ids: { values: ids } } });
    expect(indexed.hits.hits.map((h) => h._id).sort()).toEqual([...ids].sort());
    const salvaged = indexed.hits.hits.find((h) => h._id === bad.id)!._source!;
    expect(salvaged).toMatchObject({ type: bad.type, source: bad.source, data: {}, data_unindexed: bad.data });
    expect(await stores.counts(run)).toEqual({ es: before.es + 10, pg: before.pg + 10, redis: before.redis + 10 });
  });

  test('messages that are not JSON or break the contract are dead-lettered with their stage and original bytes', async () => {
    const junk = new TextEncoder().encode('not json {');
    const unstamped = JSON.stringify({ id: `unstamped-${run.id}`, type: 'x', data: {} });
    await producer.produce({ topic: source.topic, key: 'k1', value: junk });
    await producer.produce({ topic: source.topic, key: 'k2', value: unstamped });
    const letters = await readAll(run.dlqTopic, 2);
    const byStage = new Map(letters.map((m) => [readDeadLetterHeaders(m).stage, m]));
    expect(readDeadLetterHeaders(byStage.get('decode')!)).toMatchObject({ reason: 'invalid_json', attempts: '1' });
    expect(byStage.get('decode')!.value).toEqual(junk);
    expect(readDeadLetterHeaders(byStage.get('decode')!).event_id).toBeUndefined();
    expect(readDeadLetterHeaders(byStage.get('validate')!)).toMatchObject({ reason: 'contract_violation', event_id: `unstamped-${run.id}` });
    expect(new TextDecoder().decode(byStage.get('validate')!.value!)).toBe(unstamped);
  });

  test('after processing, the committed offsets equal the end offsets of every partition', async () => {
    await waitFor(readable(async () => (await uncommitted(source.admin, run.groupId, source.topic, 3)) === 0), 30_000, 'the group to commit everything');
    const committed = await source.admin.committed(run.groupId);
    expect(committed.length).toBe(3);
    for (const c of committed) expect(c.offset).toBe((await source.admin.watermarks(source.topic, c.partition)).high);
  });

  test('/readyz, /healthz and /metrics report the worker', async () => {
    expect((await fetch(url('/healthz'))).status).toBe(200);
    const ready = await fetch(url('/readyz'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', unready: {}, stuck: [] });
    const text = await (await fetch(url('/metrics'))).text();
    expect(text).toContain('workers_events_total{outcome="ok",stage="postgres",reason=""} 70');
    expect(text).toContain('workers_sink_salvaged_events_total{sink="elasticsearch",reason="mapping_conflict"} 1');
    expect(text).toContain('workers_events_total{outcome="dlq",stage="decode",reason="invalid_json"} 1');
    expect(text).toMatch(/workers_consumer_lag_messages\{partition="\d"\} 0/);
    expect(text).toMatch(/workers_batch_size_events_count \d+/);
    expect(text).toMatch(/workers_sink_latency_seconds_count\{sink="redis"\} \d+/);
  });

  test('stop() commits, leaves the group and closes; the stores keep exactly what the edge accepted', async () => {
    await worker.stop();
    expect(worker.readiness().status).toBe('stopping');
    const c = await stores.counts(run);
    expect(c).toEqual({ es: accepted.length, pg: accepted.length, redis: accepted.length });
  });
});
