import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Client } from '@elastic/elasticsearch';
import { createQueryApp, type QueryApp } from './app.ts';
import { seedEvents, seedStart } from './fixtures.ts';
import { createRun, graphql } from './testing.ts';

// One store at a time points at a port nothing listens on; the others are the real, seeded ones.
const run = createRun();
const events = seedEvents(seedStart()).slice(10, 16); // the six sensor readings
const DOWN = { elasticsearchUrl: 'http://127.0.0.1:1', databaseUrl: 'postgres://postgres@127.0.0.1:1/test', redisUrl: 'redis://127.0.0.1:1' };
const apps: QueryApp[] = [];
const logged: unknown[][] = [];

function appWith(options: Parameters<typeof createQueryApp>[0]): QueryApp {
  const app = createQueryApp({ config: { ...run.config, storeTimeoutMs: 2_000, readyTimeoutMs: 1_000 }, auth: run.auth, dlq: false, log: (...args) => logged.push(args), ...options });
  apps.push(app);
  return app;
}

beforeAll(() => run.write(events));
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await run.cleanup();
});

describe('a store that is down gives a partial answer with a typed error', () => {
  test('Redis down: its fields are null with STORE_UNAVAILABLE, search and Postgres fields still answer', async () => {
    const app = appWith({ urls: { redisUrl: DOWN.redisUrl } });
    const answer = await graphql(run.as('read', app.fetch), '{ liveStats { total } latest(key: "s-0") { value } countEvents readings(limit: 1) { eventId } }');
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({ liveStats: null, latest: null, countEvents: 6, readings: [{ eventId: 'reading-5' }] });
    expect(answer.errors?.map((e) => [e.path?.[0], e.extensions?.code, e.extensions?.store]).sort()).toEqual([
      ['latest', 'STORE_UNAVAILABLE', 'redis'],
      ['liveStats', 'STORE_UNAVAILABLE', 'redis'],
    ]);
    expect(answer.errors?.[0]?.message).toBe('redis is unavailable');
  });

  test('search node down: search fields are null, event(id) comes from Postgres instead', async () => {
    const app = appWith({ urls: { elasticsearchUrl: DOWN.elasticsearchUrl } });
    const answer = await graphql(run.as('read', app.fetch), '{ events { totalCount } topTypes { value } event(id: "reading-2") { id type } liveStats { total } }');
    expect(answer.data).toEqual({ events: null, topTypes: null, event: { id: 'reading-2', type: 'sensor.reading' }, liveStats: { total: 6 } });
    expect(answer.errors?.map((e) => e.extensions)).toEqual([
      { code: 'STORE_UNAVAILABLE', store: 'elasticsearch' },
      { code: 'STORE_UNAVAILABLE', store: 'elasticsearch' },
    ]);
  });

  test('Postgres down: readings are null; an id the search node does not have cannot be confirmed missing', async () => {
    // Keys live in Postgres too, so with keys on an uncached key is refused (auth_unavailable, auth.test.ts); the
    // partial answer is what a gateway without keys, or with the key still cached, gives.
    const app = appWith({ urls: { databaseUrl: DOWN.databaseUrl }, auth: { mode: 'off' } });
    const answer = await graphql(run.as('read', app.fetch), '{ readings { eventId } found: event(id: "reading-1") { id } missing: event(id: "nope") { id } }');
    expect(answer.data).toEqual({ readings: null, found: { id: 'reading-1' }, missing: null });
    expect(answer.errors?.map((e) => [e.path?.[0], e.extensions?.store]).sort()).toEqual([
      ['missing', 'postgres'],
      ['readings', 'postgres'],
    ]);
  });

  test('/readyz is 503 naming the store that is down; /healthz stays 200', async () => {
    const app = appWith({ urls: { redisUrl: DOWN.redisUrl } });
    const ready = await app.fetch(new Request('http://gateway.test/readyz'));
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', failing: ['redis'], checks: { elasticsearch: 'ok', postgres: 'ok' } });
    expect((await app.fetch(new Request('http://gateway.test/healthz'))).status).toBe(200);
  });

  test('REST routes answer 503 store_unavailable naming the store', async () => {
    const app = appWith({ urls: { redisUrl: DOWN.redisUrl } });
    const response = await run.as('read', app.fetch)(new Request('http://gateway.test/api/stats'));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: { code: 'store_unavailable', message: 'redis is unavailable', store: 'redis' } });
  });

  test('the analytics count falls back to Postgres when the search node is down', async () => {
    const app = appWith({ urls: { elasticsearchUrl: DOWN.elasticsearchUrl } });
    const response = await run.as('read', app.fetch)(new Request('http://gateway.test/analytics/events/count'));
    expect(await response.json()).toMatchObject({ count: 6, source: 'postgres' });
  });
});

describe('unexpected errors are masked', () => {
  test('the client sees INTERNAL_SERVER_ERROR with an incident id, the log has the real error', async () => {
    const broken = { msearch: async () => Promise.reject(new TypeError('secret internals: cannot read x of undefined')) } as unknown as Client;
    const app = appWith({ stores: { es: broken } });
    const response = await run.as('read', app.fetch)(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ countEvents liveStats { total } }' }),
      }),
    );
    const text = await response.text();
    expect(text).not.toContain('secret');
    const answer = JSON.parse(text);
    expect(answer.data).toEqual({ countEvents: null, liveStats: { total: 6 } });
    expect(answer.errors[0]).toMatchObject({ message: 'Unexpected error.', path: ['countEvents'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    const incident = answer.errors[0].extensions.incident;
    expect(incident).toBeString();
    expect(logged.some((args) => String(args[0]).includes(incident) && String(args[1]).includes('secret internals'))).toBe(true);
  });
});
