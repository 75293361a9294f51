import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { PipelineDefinition } from '../../shared/contracts/index.ts';
import { readAll } from '../../shared/kafka/testing.ts';
import { putLookupEntries, setPipelineState } from '../../shared/stores/pipelines.ts';
import { eventTopic, type EventTopic } from '../../shared/testing/events.ts';
import { createTopic } from '../../shared/testing/topics.ts';
import { waitFor, readable } from '../../shared/testing/wait.ts';
import { newRun, storeReaders } from '../testing.ts';
import type { Worker } from '../worker.ts';
import { pipelineWorker, startPipeline, windowRows } from './testing.ts';

// Real Kafka, Postgres, Redis and Elasticsearch; everything lives under this run's unique names.
const run = newRun('pipelines');
const stores = storeReaders();
const logs: string[] = [];
const sinkTopic = `pipelines.workers_test_${run.id}`;
const pipelineId = `orders-${run.id}`;
let source: EventTopic;
let worker: Worker;

const definition = (topic: string): PipelineDefinition => ({
  name: `orders ${run.id}`,
  source: { topic, types: ['order.created'] },
  sinkTopic,
  steps: [
    { type: 'filter', where: { field: 'data.amount', op: 'gte', value: 1 } },
    { type: 'map', computed: { 'data.cents': 'data.amount * 100' }, drop: ['data.secret'] },
    { type: 'enrich', table: 'customers', on: 'key', into: 'data.customer', cacheTtlMs: 30_000 },
    { type: 'aggregate', window: { kind: 'tumbling', size: '1m', allowedLateness: '10s' }, field: 'data.amount', functions: ['count', 'sum', 'max', 'p95'], groupBy: 'key' },
  ],
});

const at = (s: number) => new Date(Date.parse('2024-05-01T10:00:00.000Z') + s * 1000).toISOString();
const order = (key: string, second: number, amount: number) => ({ type: 'order.created', key, timestamp: at(second), data: { amount, secret: 'x' } });

beforeAll(async () => {
  source = await eventTopic({ what: 'pipelines' });
  await createTopic(source.admin, run.dlqTopic, 1);
  await createTopic(source.admin, sinkTopic, 1);
  await startPipeline(stores, run, pipelineId, definition(source.topic));
  await putLookupEntries(stores.sql, run.pgSchema, 'customers', { c1: { tier: 'gold' } });
  worker = pipelineWorker(run, source.topic, (l) => logs.push(l));
});

afterAll(async () => {
  await worker?.stop();
  await source?.admin.deleteTopics([run.dlqTopic, sinkTopic]).catch(() => undefined);
  await source?.close();
  await stores.cleanup(run);
  await stores.close();
});

async function postEvents(events: unknown[]): Promise<string[]> {
  const published = await source.publish(events);
  expect(published.refused).toEqual([]);
  return published.ids;
}

const expected = [
  { key: 'c1', start: at(0), count: 2, sum: 30, max: 20, p95: 20 },
  { key: 'c2', start: at(0), count: 1, sum: 7, max: 7, p95: 7 },
  { key: 'c1', start: at(60), count: 1, sum: 5, max: 5, p95: 5 },
];

describe('a running pipeline in the worker', () => {
  test('events posted to the edge come out filtered, mapped and enriched on the sink topic, and windowed exactly, late ones recorded', async () => {
    // c1's events share a partition, in this order: 10:01:30 moves its watermark to 10:01:20, so 10:00:50 is late.
    await postEvents([order('c1', 5, 10), order('c1', 40, 20), order('c1', 90, 5), order('c1', 50, 999), order('c2', 30, 7), order('c2', 31, 0.5)]);
    await postEvents([{ type: 'page.view', key: 'c1', timestamp: at(10), data: { amount: 1000 } }]);
    await waitFor(readable(async () => (await stores.pgCount(run)) >= 7), 45_000, 'the events in Postgres');
    await waitFor(readable(async () => JSON.stringify(await windowRows(stores, run, pipelineId)) === JSON.stringify(expected)), 30_000, 'the window results');
    expect(await windowRows(stores, run, pipelineId)).toEqual(expected);
    const late = await stores.sql.unsafe(`select group_key, value, window_start from ${run.pgSchema}.window_late where pipeline_id = $1`, [pipelineId]);
    expect(late.map((r) => [r.group_key, r.value, (r.window_start as Date).toISOString()])).toEqual([['c1', 999, at(0)]]);

    const out = (await readAll(sinkTopic, 5)).map((m) => JSON.parse(new TextDecoder().decode(m.value!)));
    expect(out.length).toBe(5);
    const first = out.find((e) => e.timestamp === at(5));
    expect(first).toMatchObject({ type: 'order.created', key: 'c1', data: { amount: 10, cents: 1000, customer: { tier: 'gold' } } });
    expect(first.data.secret).toBeUndefined();
    expect(out.find((e) => e.key === 'c2').data.customer).toBeUndefined();
    const metrics = worker.metrics.registry.render();
    expect(metrics).toContain(`workers_window_late_events_total{pipeline="${pipelineId}"} 1`);
    expect(metrics).toContain(`workers_pipeline_events_total{pipeline="${pipelineId}",outcome="filtered"} 1`);
  });

  test('a worker restarted on the same state continues without counting anything twice', async () => {
    await worker.stop();
    worker = pipelineWorker(run, source.topic, (l) => logs.push(l));
    await postEvents([order('c2', 100, 3)]);
    const next = [...expected, { key: 'c2', start: at(60), count: 1, sum: 3, max: 3, p95: 3 }];
    await waitFor(readable(async () => JSON.stringify(await windowRows(stores, run, pipelineId)) === JSON.stringify(next)), 45_000, 'c2 updated once');
    expect(await windowRows(stores, run, pipelineId)).toEqual(next);
  });

  test('stopping the pipeline stops it without restarting the worker', async () => {
    await setPipelineState(stores.sql, run.pgSchema, pipelineId, 'stopped');
    await waitFor(() => logs.some((l) => l.includes(`pipelines stopped: ${pipelineId}@1`)), 20_000, 'the worker to drop the pipeline');
    const before = await windowRows(stores, run, pipelineId);
    const pg = await stores.pgCount(run);
    await postEvents([order('c2', 46, 100)]);
    await waitFor(readable(async () => (await stores.pgCount(run)) > pg), 30_000, 'the event in Postgres');
    expect(await windowRows(stores, run, pipelineId)).toEqual(before);
  });
});
