import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import postgres from 'postgres';
import { listPipelines } from '../shared/stores/pipelines.ts';
import { createQueryApp, type QueryApp } from './app.ts';
import { ORDER_TOTALS } from './pipelines.fixtures.ts';
import { connections, createRun, type RunKeys } from './testing.ts';

// What a page on another origin can make a browser send, through the gateway's fetch handler (the browser itself is in
// dashboard/cross-site.test.ts).
const run = createRun();
const sql = postgres(connections.databaseUrl, { max: 1, onnotice: () => {} });
const LISTED = 'https://dash.example.com';
let app: QueryApp;
let keys: RunKeys;

const send = (path: string, init: RequestInit = {}) => app.fetch(new Request(`http://gateway.test${path}`, init));

beforeAll(async () => {
  app = createQueryApp({ config: { ...run.config, corsOrigins: [LISTED] }, auth: run.auth, dlq: false });
  keys = await run.keys();
});
afterAll(async () => {
  await app?.close();
  await sql.end();
  await run.cleanup();
});

describe('state-changing requests take JSON only', () => {
  test('a text/plain or form POST is 415 unsupported_media_type, even with an admin key, and stores nothing', async () => {
    const auth = { authorization: `Bearer ${keys.admin}` };
    const plain = await send('/api/pipelines', { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: JSON.stringify(ORDER_TOTALS) });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    const untyped = await send('/api/pipelines/order-totals/start', { method: 'POST', headers: auth });
    expect(untyped.status).toBe(415);
    const form = await send('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: new URLSearchParams({ query: `mutation { createPipeline(definition: ${JSON.stringify(JSON.stringify(ORDER_TOTALS))}) { id } }` }).toString(),
    });
    expect(form.status).toBe(415);
    expect(((await form.json()) as any).errors[0].extensions).toEqual({ code: 'unsupported_media_type' });
    const graphqlText = await send('/graphql', { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: JSON.stringify({ query: '{ ok }' }) });
    expect(graphqlText.status).toBe(415);
    expect(await listPipelines(sql, run.pgSchema).catch(() => [])).toEqual([]);
  });

  test('the same POST as application/json (with a charset) is accepted', async () => {
    const headers = { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${keys.admin}` };
    expect((await send('/api/pipelines', { method: 'POST', headers, body: JSON.stringify(ORDER_TOTALS) })).status).toBe(201);
    expect((await send('/api/pipelines/order-totals', { method: 'DELETE', headers })).status).toBe(200);
  });
});

describe('CORS answers only the origins in QUERY_CORS_ORIGINS', () => {
  const preflight = (path: string, origin: string) =>
    send(path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });

  test('a listed origin gets its own origin back, on preflights and answers', async () => {
    for (const path of ['/graphql', '/api/pipelines']) {
      const answer = await preflight(path, LISTED);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(LISTED);
      expect(answer.headers.get('access-control-allow-headers')).toContain('authorization');
    }
    const read = await send('/api/stats', { headers: { origin: LISTED, authorization: `Bearer ${keys.read}` } });
    expect(read.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(read.headers.get('vary')).toContain('Origin');
    const refused = await send('/graphql?query={ok}', { headers: { origin: LISTED } });
    expect([refused.status, refused.headers.get('access-control-allow-origin')]).toEqual([401, LISTED]);
  });

  test('any other origin gets no allow-origin: preflights are 403 origin_not_allowed, answers carry none', async () => {
    for (const path of ['/graphql', '/api/pipelines']) {
      const answer = await preflight(path, 'https://evil.example.net');
      expect(answer.status).toBe(403);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      expect(answer.headers.get('access-control-allow-methods')).toBeNull();
    }
    const read = await send('/api/stats', { headers: { origin: 'https://evil.example.net', authorization: `Bearer ${keys.read}` } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });
});
