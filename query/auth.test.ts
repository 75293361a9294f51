import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { listPipelines } from '../shared/stores/pipelines.ts';
import { createQueryApp, type QueryApp } from './app.ts';
import { ORDER_TOTALS } from './pipelines.fixtures.ts';
import { connections, createRun, graphql, type RunKeys } from './testing.ts';
import { GRAPHIQL_KEY_PLACEHOLDER } from './yoga.ts';

// Keys and scopes on every data route, GraphQL through the gateway's fetch handler, over this run's own key table.
const run = createRun();
const sql = postgres(connections.databaseUrl, { max: 1, onnotice: () => {} });
let app: QueryApp;
let keys: RunKeys;
const UNKNOWN = `el_read_${'x'.repeat(43)}`;

const bearer = (key?: string): Record<string, string> => (key === undefined ? {} : { authorization: `Bearer ${key}` });
const gql = (query: string, key?: string, variables: Record<string, unknown> = {}) => graphql(app.fetch, query, variables, bearer(key));
async function rest(method: string, path: string, key?: string, body?: unknown, target: QueryApp = app) {
  const headers = { ...(method !== 'GET' && { 'content-type': 'application/json' }), ...bearer(key) };
  const response = await target.fetch(new Request(`http://gateway.test${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) }));
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

beforeAll(async () => {
  app = createQueryApp({ config: run.config, auth: run.auth, dlq: false });
  keys = await run.keys();
});
afterAll(async () => {
  await app?.close();
  await sql.end();
  await run.cleanup();
});

describe('GraphQL needs a key with the scope of every root field', () => {
  test('no key is 401 missing_credentials with a Bearer challenge, and nothing runs', async () => {
    const answer = await gql('{ ok }');
    expect(answer.status).toBe(401);
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0]?.extensions).toEqual({ code: 'missing_credentials' });
    const response = await app.fetch(new Request('http://gateway.test/graphql?query={ok}'));
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    // Every spelling yoga takes as its endpoint is checked the same way.
    for (const path of ['/graphql/', '//graphql']) {
      const other = await app.fetch(new Request(`http://gateway.test${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ ok }"}' }));
      expect([other.status, ((await other.json()) as any).errors[0].extensions.code]).toEqual([401, 'missing_credentials']);
    }
  });

  test('an unknown key and an unreadable Authorization header are 401 invalid_credentials', async () => {
    expect((await gql('{ ok }', UNKNOWN)).errors?.[0]?.extensions).toMatchObject({ code: 'invalid_credentials' });
    const garbled = await graphql(app.fetch, '{ ok }', {}, { authorization: 'Token abc' });
    expect([garbled.status, garbled.errors?.[0]?.extensions?.code]).toEqual([401, 'invalid_credentials']);
  });

  test('a read key runs queries; a key without the read scope is 403 insufficient_scope', async () => {
    expect(await gql('{ ok pipelines { id } }', keys.read)).toMatchObject({ status: 200, data: { ok: true, pipelines: [] } });
    const refused = await gql('{ ok }', keys.ingest);
    expect(refused.status).toBe(403);
    expect(refused.data).toBeUndefined();
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'insufficient_scope', scope: 'read' });
  });

  test('an ingest-only key is refused before its document is looked at: a broken or unknown query is 403 too, not a validation error', async () => {
    for (const query of ['{ noSuchField }', '{ ok', '{ events(first: "x") { totalCount } }']) {
      const refused = await gql(query, keys.ingest);
      expect({ query, status: refused.status, extensions: refused.errors?.[0]?.extensions }).toEqual({ query, status: 403, extensions: { code: 'insufficient_scope', scope: 'read' } });
    }
  });

  test('a mutation needs admin: a read key is refused and no pipeline is stored; an admin key stores it', async () => {
    const mutation = 'mutation($d: JSON!) { createPipeline(definition: $d) { id } }';
    const refused = await gql(mutation, keys.read, { d: ORDER_TOTALS });
    expect([refused.status, refused.errors?.[0]?.extensions?.code, refused.errors?.[0]?.extensions?.scope]).toEqual([403, 'insufficient_scope', 'admin']);
    expect(await listPipelines(sql, run.pgSchema).catch(() => [])).toEqual([]);
    const stored = await gql(mutation, keys.admin, { d: ORDER_TOTALS });
    expect(stored.data).toEqual({ createPipeline: { id: 'order-totals' } });
    expect((await gql('mutation { deletePipeline(id: "order-totals") }', keys.admin)).data).toEqual({ deletePipeline: true });
  });

  test('reading the keys needs admin, also beside read fields and through a fragment at the root', async () => {
    for (const query of ['{ ok keys { name } }', 'query { ...K } fragment K on Query { keys { name } }', '{ ... on Query { keys { name } } }']) {
      const refused = await gql(query, keys.read);
      expect([refused.status, refused.errors?.[0]?.extensions?.scope]).toEqual([403, 'admin']);
    }
    expect((await gql('{ keys { name } }', keys.admin)).data?.keys?.map((k: { name: string }) => k.name)).toContain('test-read');
  });

  test('GraphQL over GET runs queries with a key but never a mutation', async () => {
    const get = (query: string, key: string) => run.as('admin', app.fetch)(new Request(`http://gateway.test/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json', ...bearer(key) } }));
    expect(await (await get('{ ok }', keys.read)).json()).toEqual({ data: { ok: true } });
    const mutation = await get('mutation { deletePipeline(id: "order-totals") }', keys.admin);
    expect(mutation.status).toBe(405);
  });

  test('health, readiness, the dashboard page and GraphiQL answer without a key', async () => {
    for (const path of ['/healthz', '/readyz', '/dashboard', '/dashboard/main.ts']) {
      expect((await app.fetch(new Request(`http://gateway.test${path}`))).status).toBe(200);
    }
    const graphiql = await app.fetch(new Request('http://gateway.test/graphql', { headers: { accept: 'text/html' } }));
    const html = await graphiql.text();
    expect([graphiql.status, html.includes('GraphiQL')]).toEqual([200, true]);
    // The Headers tab opens with the Authorization header to fill in.
    expect(html).toContain(`Bearer ${GRAPHIQL_KEY_PLACEHOLDER}`);
  });
});

describe('REST routes need a key with the scope declared beside them', () => {
  test('no key, an unknown key and a key without read are refused in the REST error shape', async () => {
    expect(await rest('GET', '/api/stats')).toMatchObject({ status: 401, body: { error: { code: 'missing_credentials' } } });
    expect(await rest('GET', '/data', UNKNOWN)).toMatchObject({ status: 401, body: { error: { code: 'invalid_credentials' } } });
    const refused = await rest('GET', '/api/pipelines', keys.ingest);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'insufficient_scope', scope: 'read' } } });
    expect(refused.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect(await rest('GET', '/api/pipelines', keys.read)).toMatchObject({ status: 200, body: { count: 0 } });
  });

  test('changing pipelines and lookups needs admin; a read key changes nothing', async () => {
    expect(await rest('POST', '/api/pipelines', keys.read, ORDER_TOTALS)).toMatchObject({ status: 403, body: { error: { code: 'insufficient_scope', scope: 'admin' } } });
    expect(await rest('PUT', '/api/lookups/regions', keys.read, { eu: { name: 'Europe' } })).toMatchObject({ status: 403 });
    expect(await listPipelines(sql, run.pgSchema).catch(() => [])).toEqual([]);
    expect(await rest('POST', '/api/pipelines', keys.admin, ORDER_TOTALS)).toMatchObject({ status: 201, body: { id: 'order-totals' } });
    expect(await rest('POST', '/api/pipelines/order-totals/start', keys.read)).toMatchObject({ status: 403 });
    expect(await rest('DELETE', '/api/pipelines/order-totals', keys.admin)).toMatchObject({ status: 200, body: { deleted: true } });
  });

  test('refusals are counted by code in query_refused_requests_total', async () => {
    const metrics = await app.fetch(new Request('http://gateway.test/api/metrics', { headers: bearer(keys.read) }));
    const text = await metrics.text();
    expect(text).toMatch(/query_refused_requests_total\{code="missing_credentials"\} [1-9]/);
    expect(text).toMatch(/query_refused_requests_total\{code="insufficient_scope"\} [1-9]/);
  });
});

describe('a key store that does not answer', () => {
  test('is 503 auth_unavailable with Retry-After, for GraphQL and REST alike', async () => {
    const down = createQueryApp({ config: run.config, auth: { ...run.auth, lookupTimeoutMs: 1000 }, urls: { databaseUrl: 'postgres://127.0.0.1:1/test' }, dlq: false });
    try {
      const answer = await graphql(down.fetch, '{ ok }', {}, bearer(keys.read));
      expect([answer.status, answer.errors?.[0]?.extensions?.code]).toEqual([503, 'auth_unavailable']);
      const refused = await rest('GET', '/api/stats', keys.read, undefined, down);
      expect(refused).toMatchObject({ status: 503, body: { error: { code: 'auth_unavailable' } } });
      expect(refused.headers.get('retry-after')).toBe('1');
    } finally {
      await down.close();
    }
  });
});
