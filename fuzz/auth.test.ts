import { describe, expect, test } from 'bun:test';
import { SECRET_FORMAT } from '../shared/auth/keys.ts';
import { classify } from './answer.ts';
import { expectation, hostileAuth, unknownSecret, withCredentials, type RunKeys } from './auth.ts';
import type { FuzzRequest } from './request.ts';
import { createRng } from './rng.ts';

const KEYS: RunKeys = { ingest: 'el_ingest_I', read: 'el_read_R', revoked: 'el_ingest_X' };
const edge: FuzzRequest = { target: 'edge', method: 'POST', path: '/v1/events', route: 'POST /v1/events', headers: { 'content-type': 'application/json' }, kind: 'valid' };
const gateway: FuzzRequest = { ...edge, target: 'gateway', path: '/graphql', route: 'POST /graphql', kind: 'graphql_valid' };
const none = new Headers();
const json = (body: unknown) => JSON.stringify(body);

describe('credentials a fuzz run sends', () => {
  test('the edge gets the ingest key, the gateway the read key (the ingest key when no read key is given)', () => {
    expect(withCredentials(edge, KEYS).headers.authorization).toBe('Bearer el_ingest_I');
    expect(withCredentials(gateway, KEYS).headers.authorization).toBe('Bearer el_read_R');
    expect(withCredentials(gateway, { ingest: 'el_ingest_I' }).headers.authorization).toBe('Bearer el_ingest_I');
    expect(withCredentials(edge, {}).headers.authorization).toBeUndefined();
  });

  test('a revoked case sends the revoked key, a wrong-scope case the other service’s key, a missing case nothing', () => {
    expect(withCredentials({ ...edge, auth: 'revoked' }, KEYS).headers.authorization).toBe('Bearer el_ingest_X');
    expect(withCredentials({ ...edge, auth: 'wrong_scope' }, KEYS).headers.authorization).toBe('Bearer el_read_R');
    expect(withCredentials({ ...gateway, auth: 'wrong_scope' }, KEYS).headers.authorization).toBe('Bearer el_ingest_I');
    expect(withCredentials({ ...edge, auth: 'none' }, KEYS).headers.authorization).toBeUndefined();
    // Without the keys a case needs, a key nobody holds: refused all the same.
    expect(withCredentials({ ...edge, auth: 'revoked' }, { ingest: 'el_ingest_I' }).headers.authorization).toMatch(/^Bearer el_ingest_0{43}$/);
  });

  test('hostile headers cover every case, unknown keys look real, huge ones go past the 16 KB header limit', () => {
    const seen = new Map<string, string | undefined>();
    for (let seed = 0; seed < 400; seed++) {
      const req = hostileAuth(createRng(seed), edge);
      seen.set(req.auth!, req.headers.authorization);
      expect(req.kind).toBe(`auth_${req.auth}`);
      if (req.auth === 'huge') expect(req.headers.authorization!.length).toBeGreaterThanOrEqual(8_000);
    }
    expect([...seen.keys()].sort()).toEqual(['huge', 'malformed', 'none', 'revoked', 'unknown', 'wrong_scope']);
    expect(SECRET_FORMAT.test(unknownSecret(createRng(1)))).toBe(true);
    const huge = Array.from({ length: 400 }, (_, s) => hostileAuth(createRng(s), edge)).filter((r) => r.auth === 'huge');
    expect(huge.some((r) => r.headers.authorization!.length > 16_384)).toBe(true);
  });

  test('guarded routes expect hostile credentials refused and the run’s own key admitted; other routes expect nothing', () => {
    expect(expectation({ ...edge, auth: 'unknown' }, KEYS)).toBe('refused');
    expect(expectation({ ...gateway, auth: 'none' }, KEYS)).toBe('refused');
    expect(expectation(edge, KEYS)).toBe('admitted');
    expect(expectation({ ...edge, route: 'GET (other)', auth: 'none' }, KEYS)).toBeUndefined();
    expect(expectation(edge, {})).toBeUndefined();
  });
});

describe('auth answers', () => {
  const challenge = new Headers({ 'www-authenticate': 'Bearer realm="event-lens"' });

  test('401, 403 and 429 with their documented codes are answers, not failures', () => {
    expect(classify({ ...edge, auth: 'none' }, 401, challenge, json({ error: { code: 'missing_credentials' } }), 'refused')).toMatchObject({ status: '401', code: 'missing_credentials', failure: false });
    expect(classify({ ...edge, auth: 'revoked' }, 401, challenge, json({ error: { code: 'invalid_credentials' } }), 'refused').failure).toBe(false);
    expect(classify({ ...edge, auth: 'wrong_scope' }, 403, none, json({ error: { code: 'insufficient_scope' } }), 'refused').failure).toBe(false);
    expect(classify(edge, 429, new Headers({ 'retry-after': '1' }), json({ error: { code: 'rate_limited' } }), 'admitted')).toMatchObject({ code: 'rate_limited', failure: false });
    const gqlRefusal = json({ errors: [{ message: 'x', extensions: { code: 'insufficient_scope' } }] });
    expect(classify({ ...gateway, auth: 'wrong_scope' }, 403, none, gqlRefusal, 'refused')).toMatchObject({ code: 'insufficient_scope', failure: false });
  });

  test('a 401 or an edge 403/429 with a code the README does not list is a failure', () => {
    expect(classify(edge, 401, challenge, json({ error: { code: 'unauthorized' } })).failure).toBe(true);
    expect(classify(edge, 403, none, json({ error: { code: 'forbidden' } })).failure).toBe(true);
    expect(classify(edge, 429, none, json({ error: { code: 'slow_down' } })).failure).toBe(true);
    expect(classify(gateway, 401, challenge, 'not json').failure).toBe(true);
  });

  test('hostile credentials let in, or the run’s own key refused as unknown, is a failure', () => {
    const receipt = json({ accepted: 1, rejected: 0, results: [{ index: 0, status: 'accepted', id: 'a' }] });
    expect(classify({ ...edge, auth: 'revoked' }, 202, none, receipt, 'refused').failure).toBe(true);
    expect(classify({ ...gateway, auth: 'none' }, 200, none, json({ data: { ok: true } }), 'refused').failure).toBe(true);
    expect(classify(edge, 401, challenge, json({ error: { code: 'invalid_credentials' } }), 'admitted').failure).toBe(true);
    expect(classify(edge, 403, none, json({ error: { code: 'insufficient_scope' } }), 'admitted').failure).toBe(true);
    // A huge header is refused by the server before any route runs: not accepted, so not a failure.
    expect(classify({ ...edge, auth: 'huge' }, 431, none, '', 'refused').failure).toBe(false);
  });

  test('auth_unavailable with Retry-After is a documented 503 on both services', () => {
    const body = json({ error: { code: 'auth_unavailable' } });
    expect(classify(edge, 503, new Headers({ 'retry-after': '1' }), body).failure).toBe(false);
    const gql = json({ errors: [{ message: 'x', extensions: { code: 'auth_unavailable' } }] });
    expect(classify(gateway, 503, new Headers({ 'retry-after': '1' }), gql).failure).toBe(false);
    expect(classify(gateway, 503, none, gql).failure).toBe(true);
  });
});
