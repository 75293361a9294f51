import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { PostHog } from 'posthog-node';
import { eventually, spawnWorker, storeReaders, storeRun, uncommitted, workerEnv, type WorkerProcess } from './testing-worker.ts';
import { createTopic, edgeFixture, topicSize, waitFor, type EdgeFixture } from './testing.ts';

// The SDKs as users ship them, pointed at a real edge over HTTP; a real worker process writes what Kafka holds to the
// stores.
const run = storeRun('sdk');
const stores = storeReaders();
let edge: EdgeFixture;
let server: ReturnType<typeof Bun.serve>;
let worker: WorkerProcess | undefined;
let host = '';
let secret = '';
const N = 1000;

beforeAll(async () => {
  edge = await edgeFixture({ what: 'sdk' });
  secret = edge.key!.secret;
  await createTopic(edge.admin, run.dlqTopic, 1);
  server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: edge.app.fetch });
  host = `http://127.0.0.1:${server.port}`;
  worker = await spawnWorker(workerEnv(run, edge.topic, edge.brokers));
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  server?.stop(true);
  await edge?.admin.deleteTopics([run.dlqTopic]).catch(() => undefined);
  await edge?.close();
  await stores.cleanup(run);
  await stores.close();
}, 60_000);

/** Waits until the worker has committed everything in the topic, then returns the stores' counts. */
async function settledCounts() {
  await waitFor(eventually(async () => (await uncommitted(edge.admin, run.groupId, edge.topic, 3)) === 0), 60_000, 'the worker to commit the topic');
  return stores.counts(run);
}

/** Every id is in Postgres and Elasticsearch exactly once and seen by Redis; returns the Postgres rows by id. */
async function expectStoredOnce(ids: string[]) {
  const counts = await stores.countIds(run, ids);
  expect(ids.filter((id) => counts.pg.get(id) !== 1)).toEqual([]);
  expect(ids.filter((id) => counts.es.get(id) !== 1)).toEqual([]);
  expect(counts.redisSeen).toBe(ids.length);
  const rows = await stores.sql<{ event_id: string; type: string; source: string; key: string; data: Record<string, unknown> }[]>`
    select event_id, type, source, key, data from ${stores.sql(`${run.pgSchema}.events`)} where event_id in ${stores.sql(ids)}`;
  return new Map(rows.map((r) => [r.event_id, r]));
}

const segmentIds = Array.from({ length: N }, (_, i) => `seg-${run.id}-${i}`);
const rudderIds = Array.from({ length: N }, (_, i) => `rud-${run.id}-${i}`);
// A message sent again is the same message: same id and timestamp (Postgres keys events by both, as they travel).
const T0 = Date.now() - 60_000;
const at = (i: number) => new Date(T0 + i);

function sendSegment(analytics: Analytics, i: number): void {
  const messageId = segmentIds[i]!;
  if (i % 3 === 0) analytics.track({ userId: `user-${i % 50}`, event: 'Order Completed', properties: { plan: `plan-${run.id}`, total: i }, messageId, timestamp: at(i) });
  else if (i % 3 === 1) analytics.identify({ anonymousId: `anon-${i}`, traits: { email: `u${i}@example.com` }, messageId, timestamp: at(i) });
  else analytics.page({ userId: `user-${i % 50}`, name: 'Pricing', category: 'Docs', properties: { path: `/p/${i}` }, messageId, timestamp: at(i) });
}

// rudder-sdk-node sends a message's own messageId, though its types leave the field out.
const withId = <T extends object>(message: T, messageId: string, i: number): T => ({ ...message, messageId, originalTimestamp: at(i) });

function sendRudder(client: RudderAnalytics, i: number): void {
  const messageId = rudderIds[i]!;
  if (i % 3 === 0) client.track(withId({ userId: `r-${i % 50}`, event: 'Product Viewed', properties: { sku: `sku-${i}` } }, messageId, i));
  else if (i % 3 === 1) client.identify(withId({ userId: `r-${i % 50}`, traits: { plan: 'team' } }, messageId, i));
  else client.page(withId({ anonymousId: `ra-${i}`, name: 'Home', properties: { path: '/' } }, messageId, i));
}

describe('the analytics SDKs, pointed at the edge by their host setting', () => {
  test('Segment analytics-node: 1,000 tracks, identifies and pages are stored once each in every store, mapped onto the envelope', async () => {
    const analytics = new Analytics({ writeKey: secret, host, flushAt: 100, flushInterval: 200 });
    const errors: unknown[] = [];
    analytics.on('error', (err) => errors.push(err));
    for (let i = 0; i < N; i++) sendSegment(analytics, i);
    await analytics.closeAndFlush({ timeout: 60_000 });
    expect(errors).toEqual([]);
    await waitFor(eventually(async () => (await stores.pgCount(run)) >= N), 60_000, 'the Segment events in Postgres');
    // Postgres may finish before the search node: the worker commits only after every sink, so wait for that.
    await settledCounts();
    const rows = await expectStoredOnce(segmentIds);
    expect(rows.get(segmentIds[3]!)).toMatchObject({ type: 'Order Completed', source: 'segment', key: 'user-3', data: { properties: { plan: `plan-${run.id}`, total: 3 }, userId: 'user-3' } });
    expect(rows.get(segmentIds[1]!)).toMatchObject({ type: 'identify', key: 'anon-1', data: { traits: { email: 'u1@example.com' }, anonymousId: 'anon-1' } });
    expect(rows.get(segmentIds[2]!)).toMatchObject({ type: 'page', key: 'user-2', data: { name: 'Pricing', category: 'Docs', properties: { path: '/p/2' } } });
    // The search mapping indexes data.properties: the gateway's search and filters find events by their properties.
    const found = await stores.esJson<{ count: number }>(`/${run.esPrefix}-*/_count`, { query: { bool: { filter: [{ match: { 'data.properties.plan': `plan-${run.id}` } }, { term: { key: 'user-3' } }] } } });
    expect(found.count).toBe(Math.ceil(N / 3 / 50));
  }, 180_000);

  test('RudderStack rudder-sdk-node (gzip, Basic auth): 1,000 events are stored once each', async () => {
    const client = new RudderAnalytics(secret, { dataPlaneUrl: host, flushAt: 100, flushInterval: 200, logLevel: 'error' });
    for (let i = 0; i < N; i++) sendRudder(client, i);
    await client.flush();
    const rows = await (async () => {
      await waitFor(eventually(async () => (await stores.pgCount(run)) >= 2 * N), 60_000, 'the RudderStack events in Postgres');
      // Postgres may finish before the search node: the worker commits only after every sink, so wait for that.
      await settledCounts();
      return expectStoredOnce(rudderIds);
    })();
    expect(rows.get(rudderIds[0]!)).toMatchObject({ type: 'Product Viewed', source: 'segment', key: 'r-0', data: { properties: { sku: 'sku-0' } } });
    expect(rows.get(rudderIds[2]!)).toMatchObject({ type: 'page', key: 'ra-2', data: { name: 'Home' } });
  }, 180_000);

  test('PostHog posthog-node: 1,000 captures and identifies are stored once each, $ names mapped and kept, the key not stored', async () => {
    const client = new PostHog(secret, { host, flushAt: 100, flushInterval: 200, disableGeoip: true });
    const uuids: string[] = [];
    for (let i = 0; i < N; i++) {
      if (i % 4 === 3) client.identify({ distinctId: `ph-${i % 40}`, properties: { $set: { plan: 'scale' } } });
      else {
        const uuid = crypto.randomUUID();
        uuids.push(uuid);
        client.capture({ distinctId: `ph-${i % 40}`, event: i % 2 ? '$pageview' : 'signed up', properties: { $current_url: `/x/${i}`, run: run.id }, uuid });
      }
    }
    await client.shutdown(60_000);
    await waitFor(eventually(async () => (await stores.pgCount(run)) >= 3 * N), 60_000, 'the PostHog events in Postgres');
    // Postgres may finish before the search node: the worker commits only after every sink, so wait for that.
    await settledCounts();
    const rows = await expectStoredOnce(uuids);
    expect(rows.get(uuids[1]!)).toMatchObject({ type: 'posthog.pageview', source: 'posthog', key: 'ph-1', data: { event: '$pageview', properties: { $current_url: '/x/1' } } });
    const identifies = await stores.sql<{ n: number }[]>`select count(*)::int as n from ${stores.sql(`${run.pgSchema}.events`)} where type = 'posthog.identify' and data->'properties'->'$set'->>'plan' = 'scale'`;
    expect(identifies[0]!.n).toBe(N / 4);
    expect(JSON.stringify([...rows.values()].map((r) => r.data))).not.toContain(secret);
    expect(await settledCounts()).toEqual({ es: 3 * N, pg: 3 * N, redis: 3 * N });
  }, 180_000);

  test('sending the same messageIds again through Segment and RudderStack changes no count', async () => {
    const before = await topicSize(edge.admin, edge.topic);
    const analytics = new Analytics({ writeKey: secret, host, flushAt: 100, flushInterval: 200 });
    for (let i = 0; i < N; i++) sendSegment(analytics, i);
    await analytics.closeAndFlush({ timeout: 60_000 });
    const client = new RudderAnalytics(secret, { dataPlaneUrl: host, flushAt: 100, flushInterval: 200, logLevel: 'error' });
    for (let i = 0; i < N; i++) sendRudder(client, i);
    await client.flush();
    // The resent events did reach Kafka; the stores keep one of each.
    expect(await topicSize(edge.admin, edge.topic)).toBe(before + 2 * N);
    expect(await settledCounts()).toEqual({ es: 3 * N, pg: 3 * N, redis: 3 * N });
  }, 180_000);

  test('an event over Segment’s 32 KB gets a 400, which analytics-node reports as a failed delivery without retrying', async () => {
    const analytics = new Analytics({ writeKey: secret, host, flushAt: 1, maxRetries: 3 });
    const statuses: number[] = [];
    analytics.on('http_request', () => statuses.push(0));
    analytics.on('http_response', (r) => statuses.push(r.status));
    // analytics-node measures an event by its escapes and letter i, so this one passes its own check.
    const err = await new Promise<unknown>((resolve) => analytics.track({ userId: 'u', event: 'Too Big', properties: { blob: 'x'.repeat(40_000) } }, resolve));
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(String(err)).toContain('400');
    expect(statuses).toEqual([0, 400]);
  }, 60_000);
});
