import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import Redis from 'ioredis';
import postgres from 'postgres';
import { revokeKey } from '../shared/auth/store.ts';
import { createApp, INGEST_ROUTES } from './app.ts';
import { keyGuard } from './keys.ts';
import { createEdgeMetrics } from './metrics.ts';
import { acceptedIds, createTestKey, edgeFixture, get, post, readBack, readTopic, type EdgeFixture, type TestKey } from './testing.ts';

// API keys on the ingestion routes, through the real app (app.request) over a real key store in Postgres, real rate
// limit buckets in Redis and a real topic, all of the fixture's own.
let fx: EdgeFixture;
let readOnly: TestKey;
let shop: TestKey;
let limited: TestKey;

beforeAll(async () => {
  fx = await edgeFixture({ what: 'auth' });
  readOnly = await createTestKey(fx.keys!, { name: 'dashboard', scopes: 'read' });
  shop = await createTestKey(fx.keys!, { name: 'shop-web', scopes: 'ingest', source: 'shop' });
  limited = await createTestKey(fx.keys!, { name: 'limited', scopes: 'ingest', rate: 5, burst: 5 });
}, 60_000);
afterAll(async () => {
  await fx?.close();
}, 30_000);

const NO_KEY = { authorization: '' };
const withKey = (key: TestKey) => ({ authorization: key.authorization });
const metricLines = async () => (await get(fx.adminApp, '/metrics')).text.split('\n');

describe('every ingestion route needs a key with the ingest scope', () => {
  test('without credentials every ingestion route is 401 missing_credentials with a Bearer and Basic challenge', async () => {
    for (const [path] of INGEST_ROUTES) {
      const res = await post(fx.app, path, { type: 'no.key' }, NO_KEY);
      expect({ path, status: res.status, code: res.body.error.code }).toEqual({ path, status: 401, code: 'missing_credentials' });
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toContain('Bearer realm="event-lens"');
      expect(challenge).toContain('Basic realm="event-lens"');
    }
  });

  test('an unknown key, a revoked key and an unreadable Authorization header are 401 invalid_credentials', async () => {
    const revoked = await createTestKey(fx.keys!, { name: 'revoked', scopes: 'ingest' });
    await revokeKey(fx.keys!.sql, fx.keys!.id, 'revoked');
    const unknown = `Bearer el_ingest_${'x'.repeat(43)}`;
    for (const authorization of [unknown, revoked.authorization, 'Token abc', 'Bearer']) {
      const res = await post(fx.app, '/v1/events', { type: 'bad.key' }, { authorization });
      expect({ authorization, status: res.status, code: res.body.error.code }).toEqual({ authorization, status: 401, code: 'invalid_credentials' });
      expect(res.headers.get('www-authenticate')).toContain('Bearer realm="event-lens"');
    }
  });

  test('a key without the ingest scope is 403 insufficient_scope, naming the scope', async () => {
    const res = await post(fx.app, '/orders', { order_id: 'o-1', region: 'eu', category: 'x' }, withKey(readOnly));
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'insufficient_scope', scope: 'ingest' });
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  test('a key is accepted as a Bearer token and as the user name of HTTP Basic, as the common SDKs send it', async () => {
    expect((await post(fx.app, '/v1/events', { type: 'bearer.ok' }, withKey(fx.key!))).status).toBe(202);
    const basic = `Basic ${btoa(`${fx.key!.secret}:`)}`;
    expect((await post(fx.app, '/v1/events', { type: 'basic.ok' }, { authorization: basic })).status).toBe(202);
  });

  test('health and readiness answer without a key, and the public port has no /metrics', async () => {
    expect((await get(fx.app, '/healthz', NO_KEY)).status).toBe(200);
    expect((await get(fx.app, '/readyz', NO_KEY)).status).toBe(200);
    expect((await get(fx.app, '/metrics', NO_KEY)).status).toBe(404);
    expect((await get(fx.app, '/metrics')).status).toBe(404);
  });

  test('the key store not answering is 503 auth_unavailable with Retry-After, not a refusal of the key', async () => {
    // Port 1 on loopback: nothing listens there, so every lookup fails at once.
    const sql = postgres('postgres://postgres@127.0.0.1:1/test', { max: 1, connect_timeout: 1, onnotice: () => {} });
    const metrics = createEdgeMetrics();
    const guard = keyGuard({ sql, redis: fx.keys!.redis, auth: fx.keys!.config, metrics, retryAfterSeconds: 7 });
    const app = createApp({ publisher: fx.publisher, limits: fx.limits, metrics, guard });
    try {
      const res = await post(app, '/v1/events', { type: 'store.down' }, withKey(fx.key!));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('auth_unavailable');
      expect(res.headers.get('retry-after')).toBe('7');
      expect(metrics.registry.render()).toContain('edge_auth_refusals_total{code="auth_unavailable"} 1');
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  test('refusals are counted by code on the admin port', async () => {
    const lines = await metricLines();
    expect(lines.find((l) => l.startsWith('edge_auth_refusals_total{code="missing_credentials"}'))).toBe(
      `edge_auth_refusals_total{code="missing_credentials"} ${INGEST_ROUTES.length}`,
    );
    expect(lines.some((l) => l.startsWith('edge_auth_refusals_total{code="insufficient_scope"} '))).toBe(true);
  });
});

describe('a key bound to a source', () => {
  test('stamps its source on events that name none, and rejects per event those naming another, keeping the rest', async () => {
    const res = await post(fx.app, '/v1/events', [{ type: 'bound.plain' }, { type: 'bound.other', source: 'admin-tool' }, { type: 'bound.same', source: 'shop' }], withKey(shop));
    expect(res.status).toBe(207);
    expect(res.body.results[1]).toMatchObject({ index: 1, status: 'rejected', code: 'source_not_allowed', path: 'source' });
    expect(res.body.results[0]!.status).toBe('accepted');
    expect(res.body.results[2]!.status).toBe('accepted');

    const older = await post(fx.app, '/events', { user_id: 'u-1', event_name: 'Signed In' }, withKey(shop));
    expect(older.status).toBe(202);
    // An order's envelope always names the source "orders", so a key bound to "shop" may not send one.
    const order = await post(fx.app, '/orders', { order_id: 'o-9', region: 'eu', category: 'books' }, withKey(shop));
    expect(order.status).toBe(400);
    expect(order.body.results[0]).toMatchObject({ index: 0, code: 'source_not_allowed', path: 'source' });
    const items = await post(fx.app, '/api/events/ingest', { events: [{ event_type: 'a', source: 'shop', data: {} }, { event_type: 'b', source: 'ci', data: {} }] }, withKey(shop));
    expect(items.status).toBe(207);
    expect(items.body.results[1]).toMatchObject({ index: 1, code: 'source_not_allowed', path: 'source' });

    const ids = [...acceptedIds(res.body), ...acceptedIds(older.body), ...acceptedIds(items.body)];
    const inTopic = new Map((await readTopic(fx.brokers, fx.admin, fx.topic)).map(readBack).map((m) => [m.event.id, m] as const));
    for (const id of ids) {
      expect(inTopic.get(id)?.event.source).toBe('shop');
      expect(inTopic.get(id)?.headers.source).toBe('shop');
    }
    expect([...inTopic.values()].some((m) => m.event.source === 'admin-tool' || m.event.source === 'ci' || m.event.source === 'orders')).toBe(false);
  }, 60_000);
});

describe('a rate-limited key', () => {
  const batch = (what: string, n: number) => Array.from({ length: n }, (_, i) => ({ type: `limited.${what}`, data: { i } }));

  test('a batch larger than the burst is 429 batch_exceeds_burst, with the RateLimit headers and no Retry-After', async () => {
    const res = await post(fx.app, '/v1/events', batch('huge', 6), withKey(limited));
    expect(res.status).toBe(429);
    expect(res.body.error).toMatchObject({ code: 'batch_exceeds_burst', limit: 5, events: 6 });
    expect(res.headers.get('ratelimit-limit')).toBe('5');
    expect(res.headers.get('retry-after')).toBeNull();
  });

  test('is answered with RateLimit headers; past its burst it gets 429 rate_limited with Retry-After, and nothing of that request is produced', async () => {
    const ok = await post(fx.app, '/v1/events', batch('first', 5), withKey(limited));
    expect(ok.status).toBe(202);
    expect(ok.headers.get('ratelimit-limit')).toBe('5');
    expect(Number(ok.headers.get('ratelimit-remaining'))).toBeLessThanOrEqual(1);
    expect(Number(ok.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(0);

    const refused = await post(fx.app, '/v1/events', batch('refused', 5), withKey(limited));
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-limit')).toBe('5');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);

    const types = (await readTopic(fx.brokers, fx.admin, fx.topic)).map((m) => readBack(m).event.type);
    expect(types.filter((t) => t === 'limited.first')).toHaveLength(5);
    expect(types.filter((t) => t === 'limited.refused' || t === 'limited.huge')).toHaveLength(0);
  }, 60_000);

  test('events refused for their content count against the rate too, so a key cannot probe validation past its limit', async () => {
    const probe = await createTestKey(fx.keys!, { name: 'limited-probe', scopes: 'ingest', rate: 0.01, burst: 3 });
    const invalid = await post(fx.app, '/v1/events', [{ type: 'probe.bad', data: 'oops' }, { type: 'probe.bad', data: 1 }, { type: 'probe.bad', data: [] }], withKey(probe));
    expect(invalid.status).toBe(400);
    expect(invalid.body.results.map((r) => (r.status === 'rejected' ? r.code : r.status))).toEqual(['invalid_type', 'invalid_type', 'invalid_type']);
    const valid = await post(fx.app, '/v1/events', batch('probe', 1), withKey(probe));
    expect(valid).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
  });

  test('a key without a rate gets no RateLimit headers and costs no Redis call', async () => {
    const calls = async () => (await metricLines()).filter((l) => l.startsWith('edge_rate_limit_redis_total')).join('\n');
    const before = await calls();
    const res = await post(fx.app, '/v1/events', batch('unlimited', 50));
    expect(res.status).toBe(202);
    expect(res.headers.get('ratelimit-limit')).toBeNull();
    expect(await calls()).toBe(before);
  });

  test('with Redis unreachable and AUTH_RATE_LIMIT_ON_REDIS_DOWN=closed the request is 503 rate_limit_unavailable with Retry-After', async () => {
    const redis = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    redis.on('error', () => {});
    const metrics = createEdgeMetrics();
    const auth = { ...fx.keys!.config, rateLimitOnRedisDown: 'closed' as const };
    const app = createApp({ publisher: fx.publisher, limits: fx.limits, metrics, guard: keyGuard({ sql: fx.keys!.sql, redis, auth, metrics, retryAfterSeconds: 1, log: () => {} }) });
    const other = await createTestKey(fx.keys!, { name: 'limited-closed', scopes: 'ingest', rate: 100, burst: 100 });
    try {
      const res = await post(app, '/v1/events', batch('closed', 3), withKey(other));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('rate_limit_unavailable');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      redis.disconnect();
    }
  });
});

describe('CORS', () => {
  test('a preflight on every ingestion route is answered without a key, for any origin, for POST with the key and body headers', async () => {
    for (const [path] of INGEST_ROUTES) {
      const res = await fx.app.request(path, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
      expect({ path, status: res.status }).toEqual({ path, status: 204 });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toBe('POST');
      expect(res.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Content-Encoding');
    }
  });

  test('ingestion answers, refusals included, let a page read them; nothing else sends CORS headers', async () => {
    const accepted = await post(fx.app, '/v1/events', { type: 'cors.ok' });
    expect(accepted.headers.get('access-control-allow-origin')).toBe('*');
    const refused = await post(fx.app, '/v1/events', { type: 'cors.refused' }, NO_KEY);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
    expect(refused.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');
    for (const path of ['/healthz', '/readyz', '/nowhere']) {
      const res = await fx.app.request(path, { method: 'OPTIONS', headers: { origin: 'https://shop.example' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect((await get(fx.app, path)).headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
