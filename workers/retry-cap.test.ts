import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readAll } from '../shared/kafka/testing.ts';
import { eventTopic, type EventTopic } from '../shared/testing/events.ts';
import { createTopic } from '../shared/testing/topics.ts';
import { waitFor, readable } from '../shared/testing/wait.ts';
import { readDeadLetterHeaders } from './dlq.ts';
import { serveWorkerHttp } from './http.ts';
import { newRun, runConfig, runSinks, storeReaders, uncommitted } from './testing.ts';
import { createWorker, type Worker } from './worker.ts';

// Elasticsearch and Postgres are the shared servers; the Redis sink points at a port where nothing listens, so every
// write to it fails the way a Redis that never comes back does (redis_unavailable, a transient reason).
const run = newRun('retry_cap');
const deadPort = (() => {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const free = probe.port;
  probe.stop(true);
  return free;
})();
const stores = storeReaders();
const RETRY_TIMEOUT_MS = 6000;
let source: EventTopic;
let worker: Worker;
let http: ReturnType<typeof serveWorkerHttp>;

beforeAll(async () => {
  source = await eventTopic({ what: 'workers_retry_cap', partitions: 1 });
  await createTopic(source.admin, run.dlqTopic, 1);
  const config = runConfig(run, source.topic, { retryTimeoutMs: RETRY_TIMEOUT_MS, retryMaxMs: 500 });
  worker = createWorker({ config, sinks: runSinks(run, { redisUrl: `redis://127.0.0.1:${deadPort}` }), log: () => {} });
  http = serveWorkerHttp({ worker, port: 0, hostname: '127.0.0.1' });
});

afterAll(async () => {
  await worker?.stop();
  await http?.stop(true);
  await source?.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
  await source?.close();
  await stores.cleanup(run).catch(() => undefined);
  await stores.close();
});

const readyz = async () => {
  const res = await fetch(`http://127.0.0.1:${http.port}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; unready: Record<string, string>; stuck: Array<Record<string, unknown>> } };
};
const lagGauge = async () => {
  const text = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
  return text.match(/^workers_consumer_lag_messages\{partition="0"\} (\d+)$/m)?.[1];
};

describe('a store that keeps failing transiently', () => {
  test('holds its partition, which /readyz names and the lag gauge counts, until retryTimeoutMs; then its events are dead-lettered as retries_exhausted and the partition moves on', async () => {
    const events = Array.from({ length: 10 }, (_, i) => ({ type: 'cap.test', key: 'one-key', data: { i } }));
    const published = await source.publish(events);
    expect(published.refused).toEqual([]);
    const ids = published.ids;

    await waitFor(readable(async () => (await readyz()).status === 503), 20_000, '/readyz to report the held partition');
    const held = (await readyz()).body;
    expect(held).toMatchObject({ status: 'retrying', unready: { redis: 'redis_unavailable' } });
    expect(held.stuck).toEqual([{ topic: source.topic, partition: 0, offset: '0', since: expect.any(String), reason: 'redis_unavailable' }]);
    await waitFor(async () => (await lagGauge()) === '10', 5_000, 'the lag gauge to count the 10 held events');

    const letters = await readAll(run.dlqTopic, 10, 60_000);
    expect(letters.length).toBe(10);
    for (const letter of letters) {
      expect(readDeadLetterHeaders(letter)).toMatchObject({ stage: 'redis', reason: 'retries_exhausted', topic: source.topic, partition: '0' });
      expect(readDeadLetterHeaders(letter).message).toContain('redis_unavailable');
    }
    expect(letters.map((l) => readDeadLetterHeaders(l).event_id).sort()).toEqual([...ids].sort());
    await waitFor(readable(async () => (await uncommitted(source.admin, run.groupId, source.topic, 1)) === 0), 30_000, 'the batch to be committed');
    expect(await stores.esCount(run)).toBe(10);
    expect(await stores.pgCount(run)).toBe(10);
    await waitFor(async () => (await lagGauge()) === '0', 5_000, 'the lag gauge to read 0');
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', unready: {}, stuck: [] } });
    expect(worker.metrics.events.get({ outcome: 'dlq', stage: 'redis', reason: 'retries_exhausted' })).toBe(10);
  }, 120_000);
});
