import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Analytics } from '@segment/analytics-node';
import { PostHog } from 'posthog-node';
import { privateKafka } from './testing-kafka.ts';
import { eventually, spawnWorker, storeReaders, storeRun, workerEnv, type WorkerProcess } from './testing-worker.ts';
import { createTopic, edgeFixture, get, waitFor, type EdgeFixture } from './testing.ts';

// The SDKs as users ship them keep sending while the broker is stopped for a few seconds and started again: the edge
// answers 503 with Retry-After meanwhile, the SDKs send those batches again, and the stores, which keep one of each
// id, end up with every event exactly once. The broker is this file's own; the one on 9092 is never stopped.
const kafka = privateKafka({ what: 'edge-sdk-outage', port: 19196 });
const run = storeRun('sdkoutage');
const stores = storeReaders();
const N = 300;
// One event every 30 ms: the sending spans the broker's stop, its downtime and its start.
const PACE_MS = 30;
const OUTAGE_MS = 5000;
let edge: EdgeFixture | undefined;
let server: ReturnType<typeof Bun.serve> | undefined;
let worker: WorkerProcess | undefined;
let host = '';
const answers: Array<{ status: number; retryAfter: string | null }> = [];

beforeAll(async () => {
  await kafka.up();
  edge = await edgeFixture({ what: 'sdkoutage', brokers: kafka.brokers, limits: { retryAfterSeconds: 1 }, publisher: { probeIntervalMs: 200, deliveryTimeoutMs: 3000 } });
  await createTopic(edge.admin, run.dlqTopic, 1);
  const app = edge.app;
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const res = await app.fetch(req);
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
      return res;
    },
  });
  host = `http://127.0.0.1:${server.port}`;
  worker = await spawnWorker(workerEnv(run, edge.topic, kafka.brokers));
}, 240_000);

afterAll(async () => {
  try {
    await worker?.stop();
    server?.stop(true);
    await edge?.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
    await edge?.close();
    await stores.cleanup(run);
    await stores.close();
  } finally {
    await kafka.remove();
  }
}, 120_000);

/**
 * Calls `send(i)` for i in 0..N-1 at a steady pace and, once a third is sent, stops the broker for OUTAGE_MS and
 * starts it again. Resolves when both are done and the edge is ready again.
 */
async function sendThroughOutage(send: (i: number) => void): Promise<void> {
  let sent = 0;
  const sending = (async () => {
    for (; sent < N; sent++) {
      send(sent);
      await Bun.sleep(PACE_MS);
    }
  })();
  await waitFor(() => sent >= N / 3, 60_000, 'a third of the events to be sent');
  await kafka.down();
  await Bun.sleep(OUTAGE_MS);
  await kafka.up();
  await sending;
  await waitFor(async () => (await get(edge!.app, '/readyz')).status === 200, 60_000, 'the edge to be ready again', 200);
}

/** Every id is in Postgres and Elasticsearch exactly once and seen by Redis. */
async function expectEachStoredOnce(ids: string[]): Promise<void> {
  await waitFor(eventually(async () => {
    const counts = await stores.countIds(run, ids);
    return counts.pg.size === ids.length && counts.es.size === ids.length && counts.redisSeen === ids.length;
  }), 90_000, 'every event in the three stores');
  const counts = await stores.countIds(run, ids);
  expect(ids.filter((id) => counts.pg.get(id) !== 1)).toEqual([]);
  expect(ids.filter((id) => counts.es.get(id) !== 1)).toEqual([]);
  expect(counts.redisSeen).toBe(ids.length);
}

/** The edge's answers while the broker was away were 503 with Retry-After, and the SDK got through after it. */
function expectRefusedThenAccepted(from: number): void {
  const seen = answers.slice(from);
  const refused = seen.filter((a) => a.status === 503);
  expect(refused.length).toBeGreaterThan(0);
  expect(refused.every((a) => a.retryAfter === '1')).toBe(true);
  expect(seen.at(-1)?.status).toBe(200);
}

describe('the analytics SDKs while the broker is stopped for a few seconds mid-send', () => {
  test('Segment analytics-node: 300 tracks sent across the outage are each stored exactly once in every store', async () => {
    const from = answers.length;
    const ids = Array.from({ length: N }, (_, i) => `seg-outage-${run.id}-${i}`);
    // analytics-node backs off exponentially from 0.5-1 s: 10 retries outlast the outage many times over.
    const analytics = new Analytics({ writeKey: edge!.key!.secret, host, flushAt: 20, flushInterval: 100, maxRetries: 10 });
    const errors: unknown[] = [];
    analytics.on('error', (err) => errors.push(err));
    await sendThroughOutage((i) =>
      analytics.track({
        userId: `user-${i % 25}`,
        event: 'Order Completed',
        messageId: ids[i]!,
        properties: { order: i, total: 10 + i, currency: 'EUR', plan: 'team', coupon: null, items: 3, shipping: 'standard', gift: false },
      }),
    );
    await analytics.closeAndFlush({ timeout: 90_000 });
    expect(errors).toEqual([]);
    expectRefusedThenAccepted(from);
    await expectEachStoredOnce(ids);
  }, 240_000);

  test('PostHog posthog-node: 300 captures sent across the outage are each stored exactly once in every store', async () => {
    const from = answers.length;
    const ids = Array.from({ length: N }, () => crypto.randomUUID());
    // posthog-node retries at a fixed delay (3 × 3 s by default, under ten seconds): the budget is raised to a minute
    // so that it outlasts the broker's stop, downtime and start on a loaded machine (one run needed over 10 s).
    const client = new PostHog(edge!.key!.secret, { host, flushAt: 20, flushInterval: 100, fetchRetryCount: 60, fetchRetryDelay: 1000, disableGeoip: true });
    const errors: unknown[] = [];
    client.on('error', (err) => errors.push(err));
    await sendThroughOutage((i) => client.capture({ distinctId: `ph-${i % 25}`, event: 'signed up', properties: { $current_url: `/x/${i}`, i }, uuid: ids[i]! }));
    await client.shutdown(90_000);
    expect(errors).toEqual([]);
    expectRefusedThenAccepted(from);
    await expectEachStoredOnce(ids);
  }, 240_000);
});
