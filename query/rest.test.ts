import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { createQueryApp, type QueryApp } from './app.ts';
import { seedEvents, seedStart } from './fixtures.ts';
import { createRun, eventually } from './testing.ts';

// The older services' read routes, through the same fetch handler query/server.ts serves.
const run = createRun();
const start = seedStart();
const events = seedEvents(start);
let app: QueryApp;
const get = (path: string, init?: RequestInit) => run.as('read', app.fetch)(new Request(`http://gateway.test${path}`, init));

beforeAll(async () => {
  await run.write(events);
  app = createQueryApp({ config: run.config, auth: run.auth, dlq: false });
});
afterAll(async () => {
  await app?.close();
  await run.cleanup();
});

describe('REST routes of the older services', () => {
  test('GET /analytics/events/count counts a range given in epoch seconds or ISO', async () => {
    const from = start / 1000;
    const response = await get(`/analytics/events/count?from_ts=${from}&to_ts=${from + 120}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      count: 6,
      from_ts: new Date(start).toISOString(),
      to_ts: new Date(start + 120_000).toISOString(),
      source: 'elasticsearch',
    });
    const iso = await (await get(`/analytics/events/count?from_ts=${new Date(start).toISOString()}&type=order.created`)).json();
    expect(iso).toMatchObject({ count: 10, type: 'order.created', to_ts: null });
  });

  test('GET /analytics/events/count refuses a time it cannot read', async () => {
    const response = await get('/analytics/events/count?from_ts=yesterday');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_parameter', parameter: 'from_ts' } });
  });

  test('GET /data lists stored readings, newest first, by sensor and limit', async () => {
    const response = await get('/data?sensor_id=s-1&limit=2');
    expect(await response.json()).toEqual({
      data: [
        { sensor_id: 's-1', value: 25, unit: 'C', timestamp: events[15]!.timestamp, received_at: events[15]!.receivedAt, event_id: 'reading-5' },
        { sensor_id: 's-1', value: 23, unit: 'C', timestamp: events[13]!.timestamp, received_at: events[13]!.receivedAt, event_id: 'reading-3' },
      ],
      count: 2,
    });
    expect((await (await get('/data')).json()).count).toBe(6);
    expect((await get('/data?limit=0')).status).toBe(400);
  });

  test('GET /recent/:sensor_id is the latest reading from Redis, 404 for a sensor that never reported', async () => {
    expect(await (await get('/recent/s-0')).json()).toEqual({ sensor_id: 's-0', value: 24, unit: 'C', timestamp: events[14]!.timestamp, event_id: 'reading-4' });
    const missing = await get('/recent/nobody');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found', sensor_id: 'nobody' } });
  });

  test('GET /api/stats is liveStats in snake_case', async () => {
    const stats = await (await get('/api/stats')).json();
    expect(stats).toMatchObject({
      total_events: 20,
      events_by_type: { 'order.created': 10, 'sensor.reading': 6, 'user.signup': 4 },
      events_by_source: { checkout: 10, sensors: 6, web: 4 },
      latency_ms: { count: 20 },
    });
    expect(stats.events_per_second).toBeNumber();
    expect(stats.per_minute).toHaveLength(60);
  });

  test('GET /api/metrics is Prometheus text with the requests answered so far', async () => {
    await get('/api/stats');
    const response = await get('/api/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('# TYPE query_requests_total counter');
    expect(text).toMatch(/query_requests_total\{route="\/api\/stats",status="200"\} \d+/);
  });

  test('other methods are 405; with no CORS origins listed, preflights are refused and answers carry no CORS headers', async () => {
    expect((await get('/data', { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(405);
    const preflight = await get('/graphql', { method: 'OPTIONS', headers: { origin: 'http://dash', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect((await get('/api/stats', { headers: { origin: 'http://dash' } })).headers.get('access-control-allow-origin')).toBeNull();
    expect((await get('/graphql?query={ok}', { headers: { origin: 'http://dash' } })).headers.get('access-control-allow-origin')).toBeNull();
  });

  test('GraphiQL is served at /graphql to browsers', async () => {
    const page = await get('/graphql', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('GraphiQL');
  });
});

describe('bun query/server.ts', () => {
  test('serves on QUERY_PORT and exits cleanly on SIGTERM', async () => {
    const probe = Bun.serve({ port: 0, fetch: () => new Response() });
    const port = probe.port;
    await probe.stop(true);
    const env = {
      ...process.env, QUERY_PORT: String(port), QUERY_ES_ALIAS: run.esPrefix, QUERY_PG_SCHEMA: run.pgSchema, QUERY_REDIS_PREFIX: run.redisPrefix, QUERY_DLQ_ENABLED: 'false',
      AUTH: 'on', AUTH_PG_SCHEMA: run.pgSchema, AUTH_HASH_KEY: run.auth.hashKey!,
    };
    const server = Bun.spawn([process.execPath, join(import.meta.dir, 'server.ts')], { env, stdout: 'pipe', stderr: 'pipe' });
    try {
      const ready = await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        return response?.status === 200 && response;
      }, 'the server to be ready');
      expect(await ready.json()).toMatchObject({ status: 'ready' });
      const { read } = await run.keys();
      expect((await fetch(`http://127.0.0.1:${port}/recent/s-1`)).status).toBe(401);
      expect(await (await fetch(`http://127.0.0.1:${port}/recent/s-1`, { headers: { authorization: `Bearer ${read}` } })).json()).toMatchObject({ value: 25 });
    } finally {
      server.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  });
});
