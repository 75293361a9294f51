import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { loadConfig } from '../shared/config/index.ts';
import { eventTopic, type EventTopic } from '../shared/testing/events.ts';
import { createTopic } from '../shared/testing/topics.ts';
import { waitFor, readable } from '../shared/testing/wait.ts';
import { pipelinesConfig } from './pipelines/index.ts';
import { pipelineWorker, startPipeline, windowRows } from './pipelines/testing.ts';
import { replay } from './replay.ts';
import { newRun, storeReaders } from './testing.ts';

// Real Kafka, Postgres, Redis and Elasticsearch under this run's names; only this run's Redis prefix is ever wiped.
const run = newRun('replay');
const stores = storeReaders();
const pipelineId = `sums-${run.id}`;
let source: EventTopic;

const at = (s: number) => new Date(Date.parse('2024-05-01T10:00:00.000Z') + s * 1000).toISOString();

beforeAll(async () => {
  source = await eventTopic({ what: 'replay' });
  await createTopic(source.admin, run.dlqTopic, 1);
  await startPipeline(stores, run, pipelineId, {
    name: `sums ${run.id}`,
    source: { topic: source.topic },
    steps: [{ type: 'aggregate', window: { kind: 'tumbling', size: '1m', allowedLateness: '0s' }, field: 'data.amount', functions: ['sum', 'count', 'p95'], groupBy: 'key' }],
  });
  const worker = pipelineWorker(run, source.topic, () => {});
  const events = Array.from({ length: 60 }, (_, i) => ({ type: i % 3 ? 'order.created' : 'page.view', key: `k${i % 4}`, timestamp: at(i * 2), data: { amount: i * 1.25 } }));
  const published = await source.publish(events);
  expect(published.ids.length).toBe(60);
  await waitFor(readable(async () => (await stores.redisStats(run)).total === 60 && (await windowRows(stores, run, pipelineId)).length === 8), 45_000, 'counters and windows');
  await waitFor(readable(async () => (await windowRows(stores, run, pipelineId)).reduce((n, r) => n + r.count, 0) === 60), 30_000, 'every event windowed');
  await worker.stop();
});

afterAll(async () => {
  await source?.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
  await source?.close();
  await stores.cleanup(run);
  await stores.close();
});

async function counters() {
  const { total, byType, bySource } = await stores.redisStats(run);
  return { total, byType, bySource };
}

async function liveWindows(): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const key of (await stores.redis.keys(`${run.redisPrefix}win:*`)).sort()) {
    const { updated_at: _changes, ...fields } = await stores.redis.hgetall(key);
    out[key] = fields;
  }
  return out;
}

async function wipeRedis(): Promise<void> {
  const found = await stores.redis.keys(`${run.redisPrefix}*`);
  if (found.length > 0) await stores.redis.del(...found);
}

const replayRun = (rebuild = false) =>
  replay({
    topic: source.topic,
    pipelineIds: [pipelineId],
    rebuild,
    redisPrefix: run.redisPrefix,
    pipelines: loadConfig(pipelinesConfig, {}, { schema: run.pgSchema }),
    progress: () => {},
  });

describe('replay', () => {
  test('after wiping Redis it reproduces identical counters and live windows', async () => {
    const before = { counters: await counters(), windows: await windowRows(stores, run, pipelineId), live: await liveWindows() };
    expect(Object.keys(before.live).length).toBe(8);
    await wipeRedis();
    const summary = await replayRun();
    expect(summary.messages).toBe(60);
    expect({ counters: await counters(), windows: await windowRows(stores, run, pipelineId), live: await liveWindows() }).toEqual(before);
  });

  test('into a Redis that was not wiped it counts nothing twice', async () => {
    const before = { counters: await counters(), windows: await windowRows(stores, run, pipelineId) };
    await replayRun();
    expect({ counters: await counters(), windows: await windowRows(stores, run, pipelineId) }).toEqual(before);
  });

  test('with --rebuild it recomputes the window results from Kafka, identically', async () => {
    const before = { windows: await windowRows(stores, run, pipelineId), live: await liveWindows() };
    await replayRun(true);
    expect({ windows: await windowRows(stores, run, pipelineId), live: await liveWindows() }).toEqual(before);
  });
});
