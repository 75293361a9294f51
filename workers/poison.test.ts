import { afterAll, describe, expect, test } from 'bun:test';
import { randomBytes } from 'node:crypto';
import { createProducer, type ConsumedMessage } from '../shared/kafka/index.ts';
import { readAll } from '../shared/kafka/testing.ts';
import { eventTopic, type EventTopic } from '../shared/testing/events.ts';
import { waitFor, readable } from '../shared/testing/wait.ts';
import type { WorkersConfig } from './config.ts';
import { readDeadLetterHeaders } from './dlq.ts';
import { serveWorkerHttp } from './http.ts';
import { newRun, runConfig, runSinks, storeReaders, uncommitted, type Run } from './testing.ts';
import { createWorker, type Worker } from './worker.ts';

// Real Kafka, Elasticsearch, Postgres and Redis. The large event breaks the stamped-event contract (no receivedAt), so
// the worker refuses it before any store, and its data is random, so lz4 cannot shrink its dead letter below a limit.
const stores = storeReaders();
const producer = createProducer({ config: { 'message.max.bytes': 2_097_152 } });
const KEY = 'one-customer';
const TRUNCATED_BYTES = 65_536;

interface Setup {
  run: Run;
  source: EventTopic;
  worker: Worker;
  http: ReturnType<typeof serveWorkerHttp>;
  logs: string[];
}
const setups: Setup[] = [];

/** A one-partition topic of events in the edge's record format, a dead-letter topic with `dlqConfig`, and a worker on both. */
async function start(what: string, dlqConfig: Record<string, string> = {}, overrides: Partial<WorkersConfig> = {}): Promise<Setup> {
  const run = newRun(what);
  const source = await eventTopic({ what: `workers_${what}`, partitions: 1 });
  await source.admin.createTopics([{ name: run.dlqTopic, partitions: 1, config: dlqConfig }]);
  const logs: string[] = [];
  const config = runConfig(run, source.topic, { batchSize: 200, dlqTruncatedBytes: TRUNCATED_BYTES, retryMaxMs: 500, ...overrides });
  const worker = createWorker({ config, sinks: runSinks(run), log: (l) => logs.push(l) });
  const http = serveWorkerHttp({ worker, port: 0, hostname: '127.0.0.1' });
  const setup = { run, source, worker, http, logs };
  setups.push(setup);
  return setup;
}

afterAll(async () => {
  for (const { run, source, worker, http } of setups) {
    await worker.stop();
    await http.stop(true);
    await source.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
    await source.close();
    await stores.cleanup(run).catch(() => undefined);
  }
  await stores.close();
  await producer.close();
});

const ordinary = (n: number, phase: string) => Array.from({ length: n }, (_, i) => ({ type: 'order.created', key: KEY, data: { amount: i, phase } }));
/** Produces about `bytes` of an event without the edge's stamp (receivedAt) to the topic; resolves with its id and offset. */
async function produceUnstamped(topic: string, bytes: number): Promise<{ id: string; offset: bigint }> {
  const id = crypto.randomUUID();
  const event = { id, type: 'order.created', key: KEY, timestamp: new Date().toISOString(), data: { pad: randomBytes((bytes * 3) / 4).toString('base64') } };
  const { offset } = await producer.produce({ topic, key: id, value: JSON.stringify(event) });
  return { id, offset };
}

async function postAll(source: EventTopic, events: unknown[]): Promise<string[]> {
  const published = await source.publish(events);
  expect(published.refused).toEqual([]);
  return published.ids;
}

const inAllStores = (run: Run, n: number) => async () => Object.values(await stores.counts(run)).every((c) => c === n);

async function lagLines(http: Setup['http']): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
  return text.match(/^workers_consumer_lag_messages\{.*$/gm) ?? [];
}

/** The record at `offset` of the one-partition topic, as the worker consumed it. */
async function original(topic: string, offset: bigint, total: number): Promise<ConsumedMessage> {
  const found = (await readAll(topic, total)).find((m) => m.offset === offset);
  expect(found).toBeDefined();
  return found!;
}

describe('dead letters as large as the events the edge accepts', () => {
  test('a refused event of about 1 MiB (more than a default client takes) is in the dead-letter topic whole', async () => {
    const { run, source } = await start('dlq_full');
    await postAll(source, ordinary(5, 'before'));
    const { id, offset } = await produceUnstamped(source.topic, 1_020_000);
    expect(offset).toBe(5n);
    const [letter] = await readAll(run.dlqTopic, 1, 45_000);
    expect(letter).toBeDefined();
    const headers = readDeadLetterHeaders(letter!);
    expect(headers).toMatchObject({ stage: 'validate', reason: 'contract_violation', event_id: id, topic: source.topic, partition: '0', offset: '5' });
    expect(headers.truncated).toBeUndefined();
    expect(letter!.value!.byteLength).toBeGreaterThan(1_000_000);
    expect(letter!.value).toEqual((await original(source.topic, 5n, 6)).value);
  }, 120_000);
});

describe('an event that no store and no whole dead letter can take', () => {
  test('is dead-lettered truncated with its location, every event behind it on its partition arrives, and lag returns to 0', async () => {
    // The dead-letter topic takes records up to 256 KiB; the event is about 1.1 MB.
    const { run, source, worker, http } = await start('poison', { 'max.message.bytes': String(256 * 1024) });
    const before = await postAll(source, ordinary(20, 'before'));
    await waitFor(readable(inAllStores(run, 20)), 45_000, 'the first 20 events in every store');
    // Above the consumer's max.partition.fetch.bytes (1 MiB) too: the broker still hands it over on its own.
    const bad = await produceUnstamped(source.topic, 1_100_000);
    expect(bad.offset).toBe(20n);
    const after = await postAll(source, ordinary(20, 'after'));
    expect(new Set([...before, ...after]).size).toBe(40);

    await waitFor(readable(inAllStores(run, 40)), 60_000, 'the 20 later events in every store');
    await waitFor(readable(async () => (await uncommitted(source.admin, run.groupId, source.topic, 1)) === 0), 30_000, 'everything to be committed');
    expect(await stores.counts(run)).toEqual({ es: 40, pg: 40, redis: 40 });
    const indexed = await stores.es.search({ index: run.esPrefix, size: 50, query: { match_all: {} } });
    expect(indexed.hits.hits.map((h) => h._id).sort()).toEqual([...before, ...after].sort());

    const letters = await readAll(run.dlqTopic, 1);
    expect(letters.length).toBe(1);
    const headers = readDeadLetterHeaders(letters[0]!);
    const record = await original(source.topic, 20n, 41);
    expect(headers).toMatchObject({
      stage: 'validate',
      reason: 'contract_violation',
      event_id: bad.id,
      topic: source.topic,
      partition: '0',
      offset: '20',
      truncated: String(record.value!.byteLength),
    });
    expect(letters[0]!.value).toEqual(record.value!.subarray(0, TRUNCATED_BYTES));
    expect(new TextDecoder().decode(letters[0]!.key!)).toBe(bad.id);
    expect(worker.metrics.dlqTruncated.get({ stage: 'validate' })).toBe(1);
    expect(worker.metrics.dlq.get({ stage: 'validate', reason: 'contract_violation' })).toBe(1);

    await waitFor(async () => {
      const lines = await lagLines(http);
      return lines.length === 1 && lines[0]!.endsWith(' 0');
    }, 10_000, 'the lag gauge to read 0');
    expect(worker.readiness()).toEqual({ ready: true, status: 'ready', unready: {}, stuck: [] });
  }, 180_000);
});

describe('a dead-letter topic that refuses even the truncated record', () => {
  test('holds the partition and says so in /readyz, the log and the metrics instead of dropping the event', async () => {
    // 4 KiB: smaller than the 64 KiB the truncated record keeps, as a misconfigured topic would be.
    const { source, worker, http, logs } = await start('dlq_refused', { 'max.message.bytes': '4096' });
    const bad = await produceUnstamped(source.topic, 200_000);
    await waitFor(() => worker.readiness().unready.dlq === 'dlq_record_refused', 30_000, 'the worker to report the refusing topic');
    const res = await fetch(`http://127.0.0.1:${http.port}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'retrying',
      unready: { dlq: 'dlq_record_refused' },
      stuck: [{ topic: source.topic, partition: 0, offset: String(bad.offset), since: expect.any(String), reason: 'dlq_record_refused' }],
    });
    await waitFor(() => (worker.metrics.sinkErrors.get({ sink: 'dlq', reason: 'dlq_record_refused' }) ?? 0) >= 2, 10_000, 'a retry with backoff');
    expect(logs.some((l) => l.includes('refuses even truncated records') && l.includes('must be fixed'))).toBe(true);
    expect(worker.metrics.dlq.get({ stage: 'validate', reason: 'contract_violation' }) ?? 0).toBe(0);
    await waitFor(async () => (await lagLines(http)).some((l) => l.endsWith(' 1')), 5_000, 'the lag gauge to count the held event');
  }, 120_000);
});

describe('batches of large events', () => {
  test('a batch ends at batchMaxBytes and the rest follows in the next batches, every event stored once', async () => {
    // Each event is about 100 KB, so at most two fit in 300,000 bytes.
    const { run, source, worker } = await start('cut', {}, { batchMaxBytes: 300_000 });
    const events = Array.from({ length: 10 }, (_, i) => ({ type: 'upload.done', key: KEY, data: { i, blob: 'x'.repeat(100_000) } }));
    expect((await postAll(source, events)).length).toBe(10);
    await waitFor(readable(inAllStores(run, 10)), 60_000, 'the 10 large events in every store');
    const text = worker.metrics.registry.render();
    const count = Number(text.match(/^workers_batch_size_events_count (\d+)$/m)?.[1]);
    const sum = Number(text.match(/^workers_batch_size_events_sum (\d+)$/m)?.[1]);
    expect(sum).toBe(10);
    expect(count).toBeGreaterThanOrEqual(5);
  }, 120_000);
});
