import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventTopic, type EventTopic } from '../shared/testing/events.ts';
import { createTopic } from '../shared/testing/topics.ts';
import { waitFor, readable } from '../shared/testing/wait.ts';
import { serveWorkerHttp } from './http.ts';
import { newRun, runConfig, runSinks, storeReaders, uncommitted } from './testing.ts';
import { createWorker, type Worker } from './worker.ts';

// The Redis sink points at a private redis-server this file starts, stops and starts again on the same port. The AOF
// in a temporary directory keeps what was written before the outage, as a production Redis would.
const run = newRun('outage');
const dir = mkdtempSync(join(tmpdir(), 'workers-outage-'));
const port = (() => {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
  const free = probe.port;
  probe.stop(true);
  return free;
})();
const redisUrl = `redis://127.0.0.1:${port}`;
const stores = storeReaders({ redisUrl });
const logs: string[] = [];
let redisServer: ReturnType<typeof Bun.spawn> | undefined;
let source: EventTopic;
let worker: Worker;
let http: ReturnType<typeof serveWorkerHttp>;

async function startRedis(): Promise<void> {
  redisServer = Bun.spawn(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], {
    stdout: 'ignore',
    stderr: 'ignore',
  });
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  await waitFor(() => probe.connect().then(() => probe.ping().then((r) => r === 'PONG'), () => false), 10_000, 'the private redis-server', 100);
  probe.disconnect();
}

async function stopRedis(): Promise<void> {
  redisServer?.kill('SIGTERM');
  await redisServer?.exited;
  redisServer = undefined;
}

const lagLines = async () => (await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text()).match(/^workers_consumer_lag_messages\{.*$/gm) ?? [];

const readyz = async () => {
  const res = await fetch(`http://127.0.0.1:${http.port}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; unready: Record<string, string>; stuck: Array<Record<string, unknown>> } };
};

async function postEvents(n: number, phase: string): Promise<string[]> {
  const events = Array.from({ length: n }, (_, i) => ({ type: `outage.${phase}`, source: 'outage-test', data: { i } }));
  const published = await source.publish(events);
  expect(published.refused).toEqual([]);
  return published.ids;
}

beforeAll(async () => {
  await startRedis();
  source = await eventTopic({ what: 'workers_outage' });
  await createTopic(source.admin, run.dlqTopic, 1);
  // max.poll.interval.ms as short as the broker allows: the outage below outlasts it, so the member only stays in the
  // group if the worker keeps polling (paused) while Redis is retried.
  const config = runConfig(run, source.topic, { retryMaxMs: 500, sessionTimeoutMs: 6000, maxPollIntervalMs: 6000 });
  worker = createWorker({ config, sinks: runSinks(run, { redisUrl }), log: (l) => logs.push(l) });
  http = serveWorkerHttp({ worker, port: 0, hostname: '127.0.0.1' });
});

afterAll(async () => {
  await worker?.stop();
  await http?.stop(true);
  await source?.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
  await source?.close();
  await stores.cleanup(run).catch(() => undefined);
  await stores.close();
  await stopRedis();
  rmSync(dir, { recursive: true, force: true });
});

describe('a store that goes away for a while', () => {
  test('with Redis stopped the worker retries, reports not ready and commits nothing; once it is back every event arrives and lag drains', async () => {
    const before = await postEvents(30, 'before');
    await waitFor(readable(async () => Object.values(await stores.counts(run)).every((n) => n === 30)), 30_000, 'the first 30 events everywhere');
    await waitFor(readable(async () => (await uncommitted(source.admin, run.groupId, source.topic, 3)) === 0), 30_000, 'the first commit');
    expect((await readyz()).status).toBe(200);

    await stopRedis();
    const during = await postEvents(40, 'during');
    await waitFor(readable(async () => (await readyz()).status === 503), 30_000, '/readyz to report Redis');
    const held = (await readyz()).body;
    expect(held).toMatchObject({ status: 'retrying', unready: { redis: 'redis_unavailable' } });
    expect(held.stuck.length).toBeGreaterThan(0);
    for (const s of held.stuck) expect(s).toEqual({ topic: source.topic, partition: expect.any(Number), offset: expect.any(String), since: expect.any(String), reason: 'redis_unavailable' });
    // The other stores are not held back: they take the held batch (maybe only part of the 40: a poll returns what
    // has been fetched so far) while Redis is retried on its own.
    await waitFor(readable(async () => (await stores.pgCount(run)) > 30 && (await stores.esCount(run)) > 30), 30_000, 'Postgres and the index');
    // Longer than max.poll.interval.ms: without the paused polling the member would now be expelled from the group.
    await Bun.sleep(7_000);
    expect(await uncommitted(source.admin, run.groupId, source.topic, 3)).toBe(40);
    // The lag gauge counts from the commit, so the held events show in it although they were fetched long ago.
    const lagSum = async () => (await lagLines()).reduce((n, line) => n + Number(line.split(' ').pop()), 0);
    await waitFor(readable(async () => (await lagSum()) === 40), 10_000, 'the lag gauge to show the 40 held events');
    expect(worker.readiness().ready).toBe(false);
    expect(worker.metrics.rebalances.get({ kind: 'revoke' })).toBe(0);
    expect(worker.metrics.sinkErrors.get({ sink: 'redis', reason: 'redis_unavailable' })).toBeGreaterThan(0);

    await startRedis();
    await waitFor(readable(async () => (await uncommitted(source.admin, run.groupId, source.topic, 3)) === 0), 30_000, 'the held batch to be committed');
    expect(await stores.counts(run)).toEqual({ es: 70, pg: 70, redis: 70 });
    expect((await stores.redisStats(run)).byType).toEqual({ 'outage.before': 30, 'outage.during': 40 });
    expect(await stores.seenCount(run)).toBe(70);
    expect(new Set([...before, ...during]).size).toBe(70);
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready', unready: {}, stuck: [] } });
    // The gauge follows the worker's own commit, which it records a moment after the coordinator (read above) has it.
    await waitFor(async () => (await lagLines()).every((line) => line.endsWith(' 0')), 5_000, 'the lag gauge to drain');
    expect((await lagLines()).length).toBeGreaterThan(0);
    expect(logs.some((l) => /^redis: \d+ events to retry \(redis_unavailable\)/.test(l))).toBe(true);
  }, 120_000);
});
