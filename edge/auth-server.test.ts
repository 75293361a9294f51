import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { revokeKey } from '../shared/auth/store.ts';
import { authFixture, type AuthFixture } from '../shared/auth/testing.ts';
import { createAdmin, type Admin } from '../shared/kafka/index.ts';
import type { Receipt } from './receipt.ts';
import { BROKERS, createTestKey, createTopic, keyStoreEnv, spawnEdgeServer, uniqueTopic, waitFor, type EdgeServerProcess, type TestKey } from './testing.ts';

// API keys on `bun edge/server.ts` over real HTTP (Bun.serve's own routes), two single-process servers sharing one
// key store in Postgres, as two machines behind a load balancer would.
const PORTS = [18095, 18096];
const topic = uniqueTopic('auth_http');
let admin: Admin;
let keys: AuthFixture;
let servers: EdgeServerProcess[] = [];
let ingest: TestKey;
let readOnly: TestKey;
let shop: TestKey;

beforeAll(async () => {
  admin = createAdmin({ brokers: BROKERS, timeoutMs: 15_000 });
  await createTopic(admin, topic);
  keys = await authFixture('edge_http', { cacheTtlMs: 2000 });
  ingest = await createTestKey(keys, { name: 'web', scopes: 'ingest' });
  readOnly = await createTestKey(keys, { name: 'dashboard', scopes: 'read' });
  shop = await createTestKey(keys, { name: 'shop', scopes: 'ingest', source: 'shop' });
  servers = await Promise.all(PORTS.map((port) => spawnEdgeServer({ ...keyStoreEnv(keys), EDGE_PORT: String(port), EDGE_TOPIC: topic, EDGE_PROCESSES: '1' })));
}, 90_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await keys?.close();
  await admin?.deleteTopics([topic]).catch(() => undefined);
  await admin?.close();
}, 30_000);

async function send(port: number, path: string, body: unknown, authorization?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Receipt & { error: { code: string } } };
}

describe('API keys over real HTTP', () => {
  test('each refusal has its status and code, and a key with the ingest scope is accepted by Bearer or Basic', async () => {
    const [port] = PORTS as [number];
    const missing = await send(port, '/v1/events', { type: 'http.none' });
    expect([missing.status, missing.body.error.code]).toEqual([401, 'missing_credentials']);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="event-lens", Basic realm="event-lens"');
    const invalid = await send(port, '/api/events', { event_type: 'x' }, `Bearer el_ingest_${'0'.repeat(43)}`);
    expect([invalid.status, invalid.body.error.code]).toEqual([401, 'invalid_credentials']);
    const scope = await send(port, '/data', { sensor_id: 's', value: 1 }, readOnly.authorization);
    expect([scope.status, scope.body.error.code]).toEqual([403, 'insufficient_scope']);
    expect((await send(port, '/v1/events', { type: 'http.bearer' }, ingest.authorization)).status).toBe(202);
    const basic = await send(port, '/events', { user_id: 'u', event_name: 'x' }, `Basic ${btoa(`${ingest.secret}:`)}`);
    expect(basic.status).toBe(202);
    expect(basic.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('a source-bound key gets source_not_allowed for an event of another source, and the rest of the batch goes through', async () => {
    const res = await send(PORTS[1]!, '/v1/events', [{ type: 'http.a' }, { type: 'http.b', source: 'crm' }], shop.authorization);
    expect(res.status).toBe(207);
    expect(res.body.results.map((r) => r.status)).toEqual(['accepted', 'rejected']);
    expect(res.body.results[1]).toMatchObject({ index: 1, code: 'source_not_allowed', path: 'source' });
  });

  test('only ingestion, /healthz and /readyz answer on the public port; preflights only on ingestion routes', async () => {
    const base = `http://127.0.0.1:${PORTS[0]}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const preflight = await fetch(`${base}/orders`, { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Content-Encoding');
    const health = await fetch(`${base}/healthz`, { method: 'OPTIONS', headers: { origin: 'https://a.example' } });
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('/metrics answers on each process\'s loopback admin port, with the refusals by code', async () => {
    for (const server of servers) {
      expect(server.adminPorts).toHaveLength(1);
      const res = await fetch(`http://127.0.0.1:${server.adminPorts[0]}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('edge_requests_total{');
    }
    const text = await (await fetch(`http://127.0.0.1:${servers[0]!.adminPorts[0]}/metrics`)).text();
    expect(text).toContain('edge_auth_refusals_total{code="missing_credentials"} 1');
    expect(text).toContain('edge_auth_refusals_total{code="insufficient_scope"} 1');
  });

  test('a revoked key is refused by both servers within the cache TTL of the revocation', async () => {
    const revoked = await createTestKey(keys, { name: 'leaked', scopes: 'ingest' });
    for (const port of PORTS) expect((await send(port, '/v1/events', { type: 'http.before_revoke' }, revoked.authorization)).status).toBe(202);
    // A verified key is trusted for cacheTtlMs from its lookup, which came before the revocation; the rest is one
    // lookup and the polling interval.
    const bound = keys.config.cacheTtlMs + 1000;
    expect(bound).toBeLessThanOrEqual(5000);
    await revokeKey(keys.sql, keys.id, 'leaked');
    const revokedAt = Date.now();
    const refusedAt: Record<number, number> = {};
    await waitFor(
      async () => {
        for (const port of PORTS) {
          if (refusedAt[port] !== undefined) continue;
          const res = await send(port, '/v1/events', { type: 'http.after_revoke' }, revoked.authorization);
          if (res.status === 401 && res.body.error.code === 'invalid_credentials') refusedAt[port] = Date.now();
          else expect(res.status).toBe(202);
        }
        return PORTS.every((port) => refusedAt[port] !== undefined);
      },
      10_000,
      'both servers to refuse the revoked key',
      50,
    );
    for (const port of PORTS) expect(refusedAt[port]! - revokedAt).toBeLessThanOrEqual(bound);
  }, 30_000);
});

describe('the key store unreachable', () => {
  test('is 503 auth_unavailable with Retry-After over real HTTP, and the edge still starts', async () => {
    const down = await spawnEdgeServer({ ...keyStoreEnv(keys), DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test', EDGE_PORT: '18098', EDGE_TOPIC: topic, EDGE_PROCESSES: '1', EDGE_RETRY_AFTER_SECONDS: '4' });
    try {
      const res = await send(18098, '/v1/events', { type: 'http.store_down' }, ingest.authorization);
      expect([res.status, res.body.error.code]).toEqual([503, 'auth_unavailable']);
      expect(res.headers.get('retry-after')).toBe('4');
      expect(down.output()).toContain('api_keys');
    } finally {
      await down.stop();
    }
  }, 60_000);
});
