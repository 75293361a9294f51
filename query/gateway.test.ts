import { afterAll, beforeAll, describe, expect, spyOn, test } from 'bun:test';
import { createSearchClient } from './stores.ts';
import { seedEvents, seedStart } from './fixtures.ts';
import { connections, createRun, graphql } from './testing.ts';
import { createGateway, type Gateway } from './yoga.ts';

// Real stores, seeded through the real sinks under this run's own prefix/schema/topic (testing.ts).
const run = createRun();
const start = seedStart();
const events = seedEvents(start);
const iso = (ms: number) => new Date(ms).toISOString();
const es = createSearchClient(connections.elasticsearchUrl, 10_000);
let gateway: Gateway;
const ask = (query: string, variables?: Record<string, unknown>) => graphql(run.as('read', gateway.yoga.fetch), query, variables);

beforeAll(async () => {
  await run.write(events);
  // Only in Postgres: the lookup by id must fall back to it when the search node does not have an event.
  await run.write([{ ...events[0]!, id: 'pg-only', key: 'pg-only' }], ['postgres']);
  gateway = createGateway({ config: run.config, auth: run.auth, stores: { es }, dlq: false });
});
afterAll(async () => {
  await gateway?.close();
  await es.close();
  await run.cleanup();
});

describe('events: search on the search node', () => {
  test('full-text search finds events by words in their data, with the total count', async () => {
    const { data, errors } = await ask('{ events(query: "widget") { totalCount nodes { id data } } }');
    expect(errors).toBeUndefined();
    expect(data?.events.totalCount).toBe(3);
    expect(data?.events.nodes.map((e: { id: string }) => e.id)).toEqual(['order-02', 'order-01', 'order-00']);
  });

  test('filters combine: types, sources, key and a half-open time range', async () => {
    const filter = { types: ['order.created', 'user.signup'], from: iso(start + 2 * 60_000), to: iso(start + 4 * 60_000) };
    const { data } = await ask('query($f: EventFilter) { events(filter: $f, first: 50) { totalCount nodes { id } } }', { f: filter });
    expect(data?.events.nodes.map((e: { id: string }) => e.id)).toEqual(['signup-3', 'order-03', 'signup-2', 'order-02']);
    const byKey = await ask('{ events(filter: { key: "s-1", sources: ["sensors"] }) { totalCount } }');
    expect(byKey.data?.events.totalCount).toBe(3);
  });

  test('cursor pagination walks every event once, newest first, and ends', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const answer = await ask('query($a: String) { events(first: 7, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id timestamp } } } }', { a: after });
      const connection = answer.data?.events;
      expect(connection.totalCount).toBe(20);
      seen.push(...connection.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(20);
    expect(new Set(seen).size).toBe(20);
    const byTime = [...events].sort((a, b) => b.timestamp.localeCompare(a.timestamp) || b.id.localeCompare(a.id)).map((e) => e.id);
    expect(seen).toEqual(byTime);
  });

  test('a cursor that was not issued by the API is BAD_USER_INPUT', async () => {
    const { data, errors } = await ask('{ events(after: "bm9wZQ") { totalCount } }');
    expect(data?.events).toBeNull();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });
});

describe('event(id)', () => {
  test('comes from the search node, falls back to Postgres, and is null when no store has it', async () => {
    const { data } = await ask('{ a: event(id: "order-03") { id type source key timestamp receivedAt data } b: event(id: "pg-only") { id key } c: event(id: "nope") { id } }');
    expect(data?.a).toEqual({ ...events[3], timestamp: events[3]!.timestamp, data: events[3]!.data });
    expect(data?.b).toEqual({ id: 'pg-only', key: 'pg-only' });
    expect(data?.c).toBeNull();
  });
});

describe('aggregations', () => {
  test('eventCounts is a zero-filled histogram over [from, to)', async () => {
    const { data } = await ask('query($f: DateTime!, $t: DateTime!) { eventCounts(from: $f, to: $t, interval: MINUTE) { start count } }', {
      f: iso(start - 60_000),
      t: iso(start + 11 * 60_000),
    });
    const counts = data?.eventCounts as Array<{ start: string; count: number }>;
    expect(counts).toHaveLength(12);
    expect(counts[0]).toEqual({ start: iso(start - 60_000), count: 0 });
    expect(counts.slice(1, 5).map((b) => b.count)).toEqual([3, 3, 3, 3]);
    expect(counts.slice(5, 7).map((b) => b.count)).toEqual([2, 2]);
    expect(counts.slice(7, 11).map((b) => b.count)).toEqual([1, 1, 1, 1]);
    expect(counts.reduce((sum, b) => sum + b.count, 0)).toBe(20);
  });

  test('eventCounts by type counts the buckets a range starts inside, and a range with too many buckets is refused', async () => {
    const { data } = await ask(`{ eventCounts(from: "${iso(start)}", to: "${iso(start + 3_600_000)}", interval: HOUR, types: ["user.signup"]) { start count } }`);
    const counts = data?.eventCounts as Array<{ start: string; count: number }>;
    // Buckets are aligned to whole hours (UTC), so an hour from an arbitrary minute touches two of them.
    for (const bucket of counts) expect(Date.parse(bucket.start) % 3_600_000).toBe(0);
    expect(counts.reduce((sum, b) => sum + b.count, 0)).toBe(4);
    // From inside a day: the day's bucket starts before `from` and must still come back, with the events from `from` on.
    const inside = await ask(`{ eventCounts(from: "${iso(start + 30_000)}", to: "${iso(start + 3_600_000)}", interval: DAY, types: ["user.signup"]) { start count } }`);
    expect((inside.data?.eventCounts as Array<{ count: number }>).reduce((sum, b) => sum + b.count, 0)).toBe(4);
    const tooMany = await ask(`{ eventCounts(from: "2000-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z", interval: SECOND) { count } }`);
    // Refused by its cost (one unit per bucket) before the resolver's own QUERY_MAX_BUCKETS check is reached.
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
  });

  test('countEvents, topTypes and topSources', async () => {
    const { data } = await ask(`{
      all: countEvents
      orders: countEvents(type: "order.created", from: "${iso(start)}", to: "${iso(start + 5 * 60_000)}")
      topTypes(limit: 2) { value count }
      topSources { value count }
    }`);
    expect(data?.all).toBe(20);
    expect(data?.orders).toBe(5);
    expect(data?.topTypes).toEqual([{ value: 'order.created', count: 10 }, { value: 'sensor.reading', count: 6 }]);
    expect(data?.topSources).toEqual([
      { value: 'checkout', count: 10 },
      { value: 'sensors', count: 6 },
      { value: 'web', count: 4 },
    ]);
  });

  test('every search-node read of one request leaves in a single _msearch', async () => {
    const spy = spyOn(es, 'msearch');
    try {
      const { errors } = await ask(`{ countEvents topTypes { value } topSources { value } events(first: 2) { totalCount } recentEvents(limit: 3) { id } }`);
      expect(errors).toBeUndefined();
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('Postgres: readings', () => {
  test('readings of one sensor, newest first', async () => {
    const { data } = await ask('{ readings(sensorId: "s-0", limit: 2) { eventId sensorId value unit timestamp } }');
    expect(data?.readings).toEqual([
      { eventId: 'reading-4', sensorId: 's-0', value: 24, unit: 'C', timestamp: events[14]!.timestamp },
      { eventId: 'reading-2', sensorId: 's-0', value: 22, unit: 'C', timestamp: events[12]!.timestamp },
    ]);
  });
});

