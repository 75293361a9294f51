import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createQueryApp, type QueryApp } from './app.ts';
import { createRun, graphql, type RunKeys } from './testing.ts';

// Managing API keys on the gateway, REST and GraphQL, over this run's own key table (testing.ts).
const run = createRun();
// A short cache, so a revocation shows within the test; the verifier's own tests cover the TTL itself.
const CACHE_TTL_MS = 300;
let app: QueryApp;
let keys: RunKeys;

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const gql = (query: string, key: string, variables: Record<string, unknown> = {}) => graphql(app.fetch, query, variables, bearer(key));
async function rest(method: string, path: string, key: string, body?: unknown) {
  const headers = { ...(method !== 'GET' && { 'content-type': 'application/json' }), ...bearer(key) };
  const response = await app.fetch(new Request(`http://gateway.test${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) }));
  return { status: response.status, body: (await response.json()) as any };
}
const statsStatus = async (key: string) => (await app.fetch(new Request('http://gateway.test/api/stats', { headers: bearer(key) }))).status;

beforeAll(async () => {
  app = createQueryApp({ config: run.config, auth: { ...run.auth, cacheTtlMs: CACHE_TTL_MS, negativeCacheTtlMs: 0 }, dlq: false });
  keys = await run.keys();
});
afterAll(async () => {
  await app?.close();
  await run.cleanup();
});

describe('keys over REST (admin scope)', () => {
  test('POST /api/keys answers the secret once; the key reads on the gateway; GET /api/keys lists it without the secret', async () => {
    const created = await rest('POST', '/api/keys', keys.admin, { name: 'rest-reader', scopes: ['read'], rate: '50/s' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatchObject({ name: 'rest-reader', scopes: ['read'], source: null, rate: 50, burst: 50, revoked_at: null });
    expect(created.body.secret).toStartWith('el_read_');
    expect(await statsStatus(created.body.secret)).toBe(200);
    const listed = await rest('GET', '/api/keys', keys.admin);
    expect(listed.body.keys.map((k: { name: string }) => k.name)).toContain('rest-reader');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    expect(JSON.stringify(listed.body)).not.toContain('hash');
  });

  test('DELETE /api/keys/:name revokes it, and the key is refused within the cache TTL', async () => {
    const { body } = await rest('POST', '/api/keys', keys.admin, { name: 'rest-revoked', scopes: 'read' });
    expect(await statsStatus(body.secret)).toBe(200);
    const revoked = await rest('DELETE', '/api/keys/rest-revoked', keys.admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body.key.revoked_at).toBeString();
    // Once the verified entry has expired, the next request looks the key up again and finds it revoked.
    await Bun.sleep(CACHE_TTL_MS + 50);
    expect(await statsStatus(body.secret)).toBe(401);
  });

  test('bad fields are refused with the codes, fields and positions npm run keys reports', async () => {
    const create = (spec: unknown) => rest('POST', '/api/keys', keys.admin, spec);
    expect(await create({ name: 'Bad Name', scopes: ['read'] })).toMatchObject({ status: 400, body: { error: { code: 'invalid_name', path: 'name' } } });
    expect(await create({ name: 'ok', scopes: ['read', 'write'] })).toMatchObject({ status: 400, body: { error: { code: 'invalid_scope', path: 'scopes', index: 1 } } });
    expect(await create({ name: 'ok', scopes: [] })).toMatchObject({ status: 400, body: { error: { code: 'missing_scope', path: 'scopes' } } });
    expect(await create({ name: 'ok', scopes: ['ingest'], rate: 'fast' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_rate', path: 'rate' } } });
    expect(await create({ name: 'ok', scopes: ['ingest'], burst: 5 })).toMatchObject({ status: 400, body: { error: { code: 'invalid_burst', path: 'burst' } } });
    expect(await create({ name: 'ok', scopes: ['read'], owner: 'me' })).toMatchObject({ status: 400, body: { error: { code: 'unknown_field', path: 'owner' } } });
    expect(await create({ name: 'test-read', scopes: ['read'] })).toMatchObject({ status: 409, body: { error: { code: 'key_exists', path: 'name' } } });
    expect(await rest('DELETE', '/api/keys/nobody', keys.admin)).toMatchObject({ status: 404, body: { error: { code: 'unknown_key', path: 'name' } } });
    const names = (await rest('GET', '/api/keys', keys.admin)).body.keys.map((k: { name: string }) => k.name);
    expect(names).not.toContain('ok');
  });

  test('a read key can neither list, create nor revoke keys', async () => {
    expect(await rest('GET', '/api/keys', keys.read)).toMatchObject({ status: 403, body: { error: { code: 'insufficient_scope', scope: 'admin' } } });
    expect(await rest('POST', '/api/keys', keys.read, { name: 'sneaky', scopes: ['admin'] })).toMatchObject({ status: 403 });
    expect(await rest('DELETE', '/api/keys/test-admin', keys.read)).toMatchObject({ status: 403 });
    expect(await statsStatus(keys.admin)).toBe(200);
  });
});

describe('keys over GraphQL (admin scope)', () => {
  const CREATE = 'mutation($name: String!, $scopes: [String!]!) { createKey(name: $name, scopes: $scopes) { key { name scopes revokedAt } secret } }';

  test('createKey returns the key and its secret, which then works on the gateway; keys lists it', async () => {
    const { data, errors } = await gql(CREATE, keys.admin, { name: 'gql-reader', scopes: ['read'] });
    expect(errors).toBeUndefined();
    expect(data?.createKey.key).toEqual({ name: 'gql-reader', scopes: ['read'], revokedAt: null });
    expect((await gql('{ ok }', data?.createKey.secret)).data).toEqual({ ok: true });
    expect((await gql('{ keys { name } }', keys.admin)).data?.keys.map((k: { name: string }) => k.name)).toContain('gql-reader');
  });

  test('revokeKey marks it revoked, and the key is refused within the cache TTL', async () => {
    const secret = (await gql(CREATE, keys.admin, { name: 'gql-revoked', scopes: ['read'] })).data?.createKey.secret as string;
    expect((await gql('{ ok }', secret)).status).toBe(200);
    const { data } = await gql('mutation { revokeKey(name: "gql-revoked") { name revokedAt } }', keys.admin);
    expect(data?.revokeKey.revokedAt).toBeString();
    await Bun.sleep(CACHE_TTL_MS + 50);
    expect((await gql('{ ok }', secret)).errors?.[0]?.extensions?.code).toBe('invalid_credentials');
  });

  test('bad fields carry the same codes, fields and positions as REST', async () => {
    const scope = await gql(CREATE, keys.admin, { name: 'gql-bad', scopes: ['read', 'write'] });
    expect(scope.data).toEqual({ createKey: null });
    expect(scope.errors?.[0]?.extensions).toEqual({ code: 'invalid_scope', path: 'scopes', index: 1 });
    expect((await gql(CREATE, keys.admin, { name: 'Bad Name', scopes: ['read'] })).errors?.[0]?.extensions).toEqual({ code: 'invalid_name', path: 'name' });
    expect((await gql('mutation { revokeKey(name: "nobody") { name } }', keys.admin)).errors?.[0]?.extensions).toEqual({ code: 'unknown_key', path: 'name' });
  });

  test('a read key cannot create a key', async () => {
    const refused = await gql(CREATE, keys.read, { name: 'sneaky', scopes: ['admin'] });
    expect([refused.status, refused.errors?.[0]?.extensions?.code]).toEqual([403, 'insufficient_scope']);
    expect((await gql('{ keys { name } }', keys.admin)).data?.keys.map((k: { name: string }) => k.name)).not.toContain('sneaky');
  });
});
