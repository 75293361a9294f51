import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createTestKey, edgeFixture, type EdgeFixture } from './testing.ts';

let fx: EdgeFixture;
let secret = '';
beforeAll(async () => {
  fx = await edgeFixture({ what: 'sdk_routes' });
  secret = fx.key!.secret;
});
afterAll(() => fx?.close());

async function send(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  const res = await fx.app.request(path, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}
const json = (value: unknown) => JSON.stringify(value);
const basic = () => `Basic ${btoa(`${secret}:`)}`;

describe('Segment routes', () => {
  test('a batch with the write key as Basic user name is taken: 200 {"success": true}', async () => {
    const res = await send('/v1/batch', json({ batch: [{ type: 'track', event: 'Signed Up', userId: 'u1' }] }), { authorization: basic() });
    expect(res).toMatchObject({ status: 200, body: { success: true } });
  });

  test('the write key in the body (as analytics.js sends it, text/plain) is checked as the key', async () => {
    expect((await send('/v1/track', json({ writeKey: secret, event: 'e', userId: 'u' }), { 'content-type': 'text/plain' })).status).toBe(200);
    expect(await send('/v1/track', json({ writeKey: 'wrong', event: 'e', userId: 'u' }))).toMatchObject({ status: 401, body: { error: { code: 'invalid_credentials' } } });
    expect(await send('/v1/track', json({ event: 'e', userId: 'u' }))).toMatchObject({ status: 401, body: { error: { code: 'missing_credentials' } } });
  });

  test('malformed JSON and an over-32 KB call are 400 with success false and the edge code', async () => {
    expect(await send('/v1/batch', '{"batch": [', { authorization: basic() })).toMatchObject({ status: 400, body: { success: false, code: 'malformed_json' } });
    const big = json({ event: 'e', userId: 'u', properties: { blob: 'x'.repeat(33_000) } });
    expect(await send('/v1/track', big, { authorization: basic() })).toMatchObject({ status: 400, body: { success: false, code: 'body_too_large', limit_bytes: 32_768 } });
  });

  test('a batch whose events are all refused is 400 naming the first one; with one valid event it is 200', async () => {
    const bad = { type: 'track', userId: 'u' };
    expect(await send('/v1/batch', json({ batch: [bad, bad] }), { authorization: basic() })).toMatchObject({ status: 400, body: { success: false, code: 'missing_field', index: 0, path: 'event' } });
    expect((await send('/v1/batch', json({ batch: [bad, { type: 'page', userId: 'u' }] }), { authorization: basic() })).status).toBe(200);
  });

  test('?receipt=1 answers with the per-event receipt', async () => {
    const res = await send('/v1/batch?receipt=1', json({ batch: [{ type: 'identify', userId: 'u', messageId: 'm-receipt' }, { type: 'nope', userId: 'u' }] }), { authorization: basic() });
    expect(res).toMatchObject({ status: 207, body: { accepted: 1, rejected: 1, results: [{ status: 'accepted', id: 'm-receipt' }, { status: 'rejected', code: 'invalid_type', path: 'type' }] } });
  });

  test('a key bound to a source stamps it on Segment events', async () => {
    const bound = await createTestKey(fx.keys!, { name: 'bound', scopes: 'ingest', source: 'web' });
    const res = await send('/v1/page?receipt=1', json({ userId: 'u' }), { authorization: `Basic ${btoa(`${bound.secret}:`)}` });
    expect(res.status).toBe(202);
  });
});

describe('PostHog routes', () => {
  test('posthog-js bodies: gzip-js without a header and a base64 data= form, the key as properties.token', async () => {
    const events = [{ event: '$pageview', properties: { token: secret, distinct_id: 'd1' } }];
    expect(await send('/e/?compression=gzip-js', Bun.gzipSync(json(events)), { 'content-type': 'text/plain' })).toMatchObject({ status: 200, body: { status: 1 } });
    const form = `data=${encodeURIComponent(btoa(json(events)))}`;
    expect(await send('/i/v0/e', form, { 'content-type': 'application/x-www-form-urlencoded' })).toMatchObject({ status: 200, body: { status: 1 } });
  });

  test('a batch with api_key on every path, with and without the trailing slash', async () => {
    for (const path of ['/batch', '/batch/', '/capture', '/capture/', '/e', '/i/v0/e/']) {
      expect((await send(path, json({ api_key: secret, batch: [{ event: 'x', distinct_id: 'd' }] }))).status).toBe(200);
    }
  });

  test('events that are all refused get 400 validation_error naming the field', async () => {
    expect(await send('/batch/', json({ api_key: secret, batch: [{ event: 'x' }] }))).toMatchObject({ status: 400, body: { type: 'validation_error', code: 'missing_field', path: 'distinct_id', index: 0 } });
  });

  test('a property name with an empty part or a string holding U+0000 is refused at its index and path', async () => {
    const batch = [{ event: 'x', distinct_id: 'd', properties: { ok: 1 } }, { event: 'x', distinct_id: 'd', properties: { 'a..b': 1 } }];
    const names = await send('/batch/?receipt=1', json({ api_key: secret, batch }));
    expect(names.body.results).toMatchObject([{ index: 0, status: 'accepted' }, { index: 1, status: 'rejected', code: 'invalid_field_name', path: 'properties.a..b' }]);
    const nul = await send('/batch/', json({ api_key: secret, batch: [{ event: 'x', distinct_id: 'd', properties: { s: 'a\u0000b' } }] }));
    expect(nul).toMatchObject({ status: 400, body: { type: 'validation_error', code: 'invalid_string', path: 'properties.s', index: 0 } });
  });
});

test('browsers may preflight every SDK route', async () => {
  for (const path of ['/v1/batch', '/v1/track', '/batch/', '/e/', '/i/v0/e/']) {
    const res = await fx.app.request(path, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toContain('Authorization');
  }
});

describe('with AUTH=off', () => {
  let open: EdgeFixture;
  beforeAll(async () => {
    open = await edgeFixture({ what: 'sdk_routes_off', auth: 'off' });
  });
  afterAll(() => open?.close());

  test('a Segment batch and a PostHog batch that carry no key anywhere are taken', async () => {
    const post = async (path: string, value: unknown) => {
      const res = await open.app.request(path, { method: 'POST', body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await post('/v1/batch', { batch: [{ type: 'track', event: 'Signed Up', userId: 'u1' }] })).toEqual({ status: 200, body: { success: true } });
    expect((await post('/batch', { batch: [{ event: 'signed up', distinct_id: 'd1' }] })).status).toBe(200);
  });
});
