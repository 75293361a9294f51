import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { uuidv7Time } from '../shared/contracts/index.ts';
import type { Receipt } from './receipt.ts';
import { acceptedIds, edgeFixture, get, post, readBack, readTopic, type EdgeFixture, type ErrorBody } from './testing.ts';

// The whole HTTP surface, through the real entry point (createApp) over a real Kafka publisher and a unique topic.
// Small limits make the 413 paths cheap; one app with the default limits checks the real defaults.
const LIMITS = { maxBodyBytes: 4096, maxEventBytes: 512, maxEventsPerRequest: 5, retryAfterSeconds: 2 };
let edge: EdgeFixture;

beforeAll(async () => {
  edge = await edgeFixture({ what: 'app', limits: LIMITS });
});
afterAll(async () => {
  await edge?.close();
});

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const NDJSON = { 'content-type': 'application/x-ndjson' };

function expectAllAccepted(receipt: Receipt, count: number) {
  expect(receipt.accepted).toBe(count);
  expect(receipt.rejected).toBe(0);
  expect(receipt.results.map((r) => r.index)).toEqual([...Array(count).keys()]);
  // (Not toMatchObject with expect.stringMatching: Bun 1.4.5 writes the matcher into the received object.)
  for (const r of receipt.results) {
    expect(r.status).toBe('accepted');
    if (r.status === 'accepted') expect(r.id).toMatch(UUID_V7);
  }
}

describe('POST /v1/events accepts every body form', () => {
  test('one event object is accepted with 202, a UUIDv7 id, and the Kafka partition and offset', async () => {
    const before = Date.now();
    const res = await post(edge.app, '/v1/events', { type: 'page.viewed', source: 'web', data: { path: '/' } });
    expect(res.status).toBe(202);
    expect(res.body.ack).toBe('kafka');
    expectAllAccepted(res.body, 1);
    const item = res.body.results[0]!;
    if (item.status !== 'accepted') throw new Error('not accepted');
    expect(item.partition).toBeGreaterThanOrEqual(0);
    expect(BigInt(item.offset!)).toBeGreaterThanOrEqual(0n);
    // The id is time-ordered: it carries the moment the edge received the event.
    expect(uuidv7Time(item.id)).toBeGreaterThanOrEqual(before - 1);
  });

  test('a JSON array is accepted as a batch with one receipt entry per event, in input order', async () => {
    const res = await post(edge.app, '/v1/events', [{ type: 'a.one' }, { type: 'a.two' }, { type: 'a.three' }]);
    expect(res.status).toBe(202);
    expectAllAccepted(res.body, 3);
    expect(new Set(acceptedIds(res.body)).size).toBe(3);
  });

  test('an {events: [...]} wrapper is accepted as a batch', async () => {
    const res = await post(edge.app, '/v1/events', { events: [{ type: 'w.one' }, { type: 'w.two' }] });
    expect(res.status).toBe(202);
    expectAllAccepted(res.body, 2);
  });

  test('NDJSON is accepted one event per line, blank lines skipped', async () => {
    const res = await post(edge.app, '/v1/events', '{"type":"n.one"}\n\n{"type":"n.two"}\r\n{"type":"n.three"}\n', NDJSON);
    expect(res.status).toBe(202);
    expectAllAccepted(res.body, 3);
  });

  test('a gzip-encoded body is accepted', async () => {
    const body = Bun.gzipSync(JSON.stringify([{ type: 'g.one', data: { n: 1 } }, { type: 'g.two' }]));
    const res = await post(edge.app, '/v1/events', body, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(202);
    expectAllAccepted(res.body, 2);
  });

  test('gzip-encoded NDJSON is accepted', async () => {
    const body = Bun.gzipSync('{"type":"gn.one"}\n{"type":"gn.two"}\n');
    const res = await post(edge.app, '/v1/events', body, { ...NDJSON, 'content-encoding': 'gzip' });
    expect(res.status).toBe(202);
    expectAllAccepted(res.body, 2);
  });

  test('a Content-Type with a charset parameter is still JSON', async () => {
    const res = await post(edge.app, '/v1/events', { type: 'c.one' }, { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(202);
  });

  test("each accepted event's receipt entry names the partition and offset of its record in Kafka", async () => {
    const res = await post(edge.app, '/v1/events', [{ type: 'where.one' }, { type: 'where.two' }, { type: 'where.three' }]);
    expectAllAccepted(res.body, 3);
    const records = new Map((await readTopic(edge.brokers, edge.admin, edge.topic)).map((m) => [readBack(m).event.id, m] as const));
    for (const r of res.body.results) {
      if (r.status !== 'accepted') throw new Error('not accepted');
      const record = records.get(r.id);
      expect({ partition: r.partition, offset: r.offset }).toEqual({ partition: record?.partition, offset: String(record?.offset) });
    }
  });

  test('?ack=queued answers once the event is queued, and says so in the receipt', async () => {
    const res = await post(edge.app, '/v1/events?ack=queued', [{ type: 'q.one' }, { type: 'q.two' }]);
    expect(res.status).toBe(202);
    expect(res.body.ack).toBe('queued');
    expectAllAccepted(res.body, 2);
  });

  test('a client-supplied id comes back in the receipt unchanged', async () => {
    const res = await post(edge.app, '/v1/events', { id: 'client-id-1', type: 'i.one' });
    expect(res.status).toBe(202);
    expect(res.body.results[0]).toMatchObject({ status: 'accepted', id: 'client-id-1' });
  });
});

describe('the older services routes map onto the same path', () => {
  test('POST /orders accepts an order with order_id, region and category', async () => {
    const res = await post(edge.app, '/orders', { order_id: 'o-1', region: 'eu', category: 'books', amount: 12.5 });
    expect(res.status).toBe(202);
    expectAllAccepted(res.body, 1);
  });

  test('POST /orders without order_id is rejected with missing_field at path order_id', async () => {
    const res = await post(edge.app, '/orders', { region: 'eu', category: 'books' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(res.body.results[0]).toMatchObject({ index: 0, status: 'rejected', code: 'missing_field', path: 'order_id' });
  });

  test('POST /api/events accepts event_type with a payload', async () => {
    const res = await post(edge.app, '/api/events', { event_type: 'signup', payload: { plan: 'pro' }, user_id: 9 });
    expect(res.status).toBe(202);
    expectAllAccepted(res.body, 1);
  });

  test('POST /events accepts a user event with event_id, user_id, event_name, metadata and timestamp', async () => {
    const res = await post(edge.app, '/events', {
      event_id: 'ev-1',
      user_id: 'u-1',
      event_name: 'Button Clicked',
      metadata: { button: 'buy' },
      timestamp: '2024-05-06T07:08:09Z',
    });
    expect(res.status).toBe(202);
    expect(res.body.results[0]).toMatchObject({ status: 'accepted', id: 'ev-1' });
  });

  test('POST /api/events/ingest accepts {events: [{event_type, source, data}]} and rejects a bad item by index', async () => {
    const res = await post(edge.app, '/api/events/ingest', {
      events: [
        { event_type: 'x.one', source: 'svc', data: { a: 1 } },
        { event_type: 'x.two', data: {} },
      ],
    });
    expect(res.status).toBe(207);
    expect(res.body.results[0]).toMatchObject({ index: 0, status: 'accepted' });
    expect(res.body.results[1]).toMatchObject({ index: 1, status: 'rejected', code: 'missing_field', path: 'source' });
  });

  test('POST /api/events/ingest with a body that is not the {events: [...]} wrapper is 400 invalid_body', async () => {
    const res = await post<ErrorBody>(edge.app, '/api/events/ingest', { event_type: 'x', source: 's', data: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_body');
    expect(res.body.error.path).toBe('events');
  });

  test('POST /data accepts a sensor reading', async () => {
    const res = await post(edge.app, '/data', { sensor_id: 's-1', value: 21.5, unit: 'C', timestamp: '2024-01-01T00:00:00Z' });
    expect(res.status).toBe(202);
    expectAllAccepted(res.body, 1);
  });

  test('POST /data with a value that is not a number is rejected at path value', async () => {
    const res = await post(edge.app, '/data', { sensor_id: 's-1', value: 'warm' });
    expect(res.status).toBe(400);
    expect(res.body.results[0]).toMatchObject({ status: 'rejected', code: 'invalid_type', path: 'value' });
  });
});

describe('per-index receipts', () => {
  test('a batch with some bad events is 207: the good ones accepted, each bad one rejected with its code and path', async () => {
    const res = await post(edge.app, '/v1/events', [
      { type: 'ok.one' },
      { type: 'bad.data', data: [1, 2] },
      { type: 'ok.two', data: { nested: { deep: true } } },
      { type: 'bad.field', colour: 'red' },
      { data: {} },
    ]);
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 3 });
    const [a, b, c, d, e] = res.body.results;
    expect(a).toMatchObject({ index: 0, status: 'accepted' });
    expect(b).toMatchObject({ index: 1, status: 'rejected', code: 'invalid_type', path: 'data' });
    expect(c).toMatchObject({ index: 2, status: 'accepted' });
    expect(d).toMatchObject({ index: 3, status: 'rejected', code: 'unknown_field', path: 'colour' });
    expect(e).toMatchObject({ index: 4, status: 'rejected', code: 'missing_field', path: 'type' });
  });

  test('a batch where every event is bad is 400 with a receipt, not an error body', async () => {
    const res = await post(edge.app, '/v1/events', [{ type: 'x', data: 'not an object' }, 42]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ accepted: 0, rejected: 2 });
    expect(res.body.results[0]).toMatchObject({ index: 0, code: 'invalid_type', path: 'data' });
    expect(res.body.results[1]).toMatchObject({ index: 1, code: 'not_an_object', path: '' });
  });

  test('one event whose data is not an object is 400 with path data', async () => {
    const res = await post(edge.app, '/v1/events', { type: 'x', data: 'nope' });
    expect(res.status).toBe(400);
    expect(res.body.results).toEqual([{ index: 0, status: 'rejected', code: 'invalid_type', path: 'data', message: expect.any(String) }]);
  });

  test('in a batch, strings and field names a store would refuse are rejected at their paths, the events around them accepted', async () => {
    const res = await post(edge.app, '/v1/events', [
      { type: 'ok.one', data: { page: '/a' } },
      { type: 'bad.name', data: { n: { 'a..b': 1 } } },
      { type: 'bad.null', data: { s: 'a\u0000b' } },
      { type: 'bad.key', key: 'k\ud800' },
      { type: 'ok.two', data: { emoji: '😀' } },
    ]);
    expect(res.status).toBe(207);
    expect(res.body.results).toMatchObject([
      { index: 0, status: 'accepted' },
      { index: 1, status: 'rejected', code: 'invalid_field_name', path: 'data.n.a..b' },
      { index: 2, status: 'rejected', code: 'invalid_string', path: 'data.s' },
      { index: 3, status: 'rejected', code: 'invalid_string', path: 'key' },
      { index: 4, status: 'accepted' },
    ]);
  });

  test('a field name with an empty part is rejected in a batch whose text holds no escapes', async () => {
    const res = await post(edge.app, '/v1/events', '[{"type":"ok.one"},{"type":"bad.name","data":{".a":1}},{"type":"bad.end","data":{"x":{"b.":2}}},{"type":"bad.blank","data":{" ":1}}]');
    expect(res.body.results).toMatchObject([
      { index: 0, status: 'accepted' },
      { index: 1, status: 'rejected', code: 'invalid_field_name', path: 'data..a' },
      { index: 2, status: 'rejected', code: 'invalid_field_name', path: 'data.x.b.' },
      { index: 3, status: 'rejected', code: 'invalid_field_name', path: 'data. ' },
    ]);
  });

  test('a bad NDJSON line is rejected at its index with its line number, the other lines accepted', async () => {
    const res = await post(edge.app, '/v1/events', '{"type":"l.one"}\n\n{"type": oops}\n{"type":"l.two"}\n', NDJSON);
    expect(res.status).toBe(207);
    expect(res.body.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
    const bad = res.body.results[1]!;
    expect(bad).toMatchObject({ index: 1, code: 'malformed_json' });
    if (bad.status === 'rejected') expect(bad.message).toContain('line 3');
  });
});

describe('request errors carry a status and a stable code', () => {
  test('malformed JSON is 400 malformed_json with the line and column of the mistake', async () => {
    const res = await post<ErrorBody>(edge.app, '/v1/events', '[\n  {"type": "a"},\n  {"type" "b"}\n]');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_json');
    expect(res.body.error.position).toEqual({ line: 3, column: 11, offset: 29 });
    expect(res.body.error.message).toContain('line 3, column 11');
  });

  test('an empty body is 400 empty_body', async () => {
    const res = await post<ErrorBody>(edge.app, '/v1/events', '');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('empty_body');
  });

  test('an empty batch, as an array or as {events: []}, is 400 empty_body like an empty NDJSON body', async () => {
    for (const body of ['[]', '{"events": []}']) {
      const res = await post<ErrorBody>(edge.app, '/v1/events', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('empty_body');
    }
  });

  test('an unsupported media type is 415 unsupported_media_type', async () => {
    const res = await post<ErrorBody>(edge.app, '/v1/events', 'type=a', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  test('an unsupported Content-Encoding is 415 unsupported_encoding', async () => {
    const res = await post<ErrorBody>(edge.app, '/v1/events', '{"type":"a"}', { 'content-encoding': 'br' });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_encoding');
  });

  test('a body that claims gzip but is not is 400 malformed_gzip', async () => {
    const res = await post<ErrorBody>(edge.app, '/v1/events', '{"type":"a"}', { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_gzip');
  });

  test('a body whose Content-Length is over the limit is 413 body_too_large', async () => {
    const body = JSON.stringify([{ type: 'big', data: { pad: 'x'.repeat(LIMITS.maxBodyBytes) } }]);
    const res = await post<ErrorBody>(edge.app, '/v1/events', body, { 'content-length': String(Buffer.byteLength(body)) });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'body_too_large', limit_bytes: LIMITS.maxBodyBytes });
  });

  test('a small gzip body that inflates past the limit is 413 body_too_large', async () => {
    const body = Bun.gzipSync(JSON.stringify([{ type: 'bomb', data: { pad: ' '.repeat(LIMITS.maxBodyBytes * 50) } }]));
    expect(body.byteLength).toBeLessThan(LIMITS.maxBodyBytes);
    const res = await post<ErrorBody>(edge.app, '/v1/events', body, { 'content-encoding': 'gzip', 'content-length': String(body.byteLength) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('body_too_large');
  });

  test('a single event over the per-event limit is 413 event_too_large', async () => {
    const res = await post<ErrorBody>(edge.app, '/v1/events', { type: 'big', data: { pad: 'x'.repeat(LIMITS.maxEventBytes) } });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'event_too_large', limit_bytes: LIMITS.maxEventBytes });
  });

  test('in a batch, only the oversized event is rejected, at its index, with event_too_large', async () => {
    const res = await post(edge.app, '/v1/events', [{ type: 'small' }, { type: 'big', data: { pad: 'x'.repeat(LIMITS.maxEventBytes) } }, { type: 'small' }]);
    expect(res.status).toBe(207);
    expect(res.body.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(res.body.results[1]).toMatchObject({ index: 1, code: 'event_too_large' });
  });

  test('more events than a request may carry is 413 too_many_events', async () => {
    const events = Array.from({ length: LIMITS.maxEventsPerRequest + 1 }, (_, i) => ({ type: `many.${i}` }));
    const res = await post<ErrorBody>(edge.app, '/v1/events', events);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'too_many_events', limit: LIMITS.maxEventsPerRequest });
  });

  test('NDJSON with more non-blank lines than a request may carry is 413 too_many_events; blank lines do not count', async () => {
    const line = (i: number) => JSON.stringify({ type: `nd.${i}` });
    const atLimit = Array.from({ length: LIMITS.maxEventsPerRequest }, (_, i) => `${line(i)}\n  \n`).join('');
    expect((await post(edge.app, '/v1/events', atLimit, NDJSON)).status).toBe(202);
    const over = Array.from({ length: LIMITS.maxEventsPerRequest + 1 }, (_, i) => line(i)).join('\n');
    const res = await post<ErrorBody>(edge.app, '/v1/events', over, NDJSON);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'too_many_events', limit: LIMITS.maxEventsPerRequest });
  });

  test('an {events: [...]} wrapper with more events than a request may carry is 413 too_many_events', async () => {
    const events = Array.from({ length: LIMITS.maxEventsPerRequest + 1 }, (_, i) => ({ type: `w.${i}` }));
    const res = await post<ErrorBody>(edge.app, '/api/events/ingest', { events });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('too_many_events');
  });

  test('a batch too long to parse whole is refused as too_many_events even when it is malformed further on', async () => {
    const res = await post<ErrorBody>(edge.app, '/v1/events', `[${'{},'.repeat(LIMITS.maxEventsPerRequest + 1)} oops`);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('too_many_events');
  });

  test('in a batch, an event nested too deeply is rejected at its index with too_deep, and the others are accepted', async () => {
    const deep = { type: 'deep', data: JSON.parse(`${'{"a":'.repeat(200)}1${'}'.repeat(200)}`) as unknown };
    const res = await post(edge.app, '/v1/events', [{ type: 'shallow' }, deep, { type: 'shallow' }]);
    expect(res.status).toBe(207);
    expect(res.body.results.map((r) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(res.body.results[1]).toMatchObject({ index: 1, code: 'too_deep' });
  });

  test('a syntax error in a batch with a too-deep event is 400 malformed_json at its place in the whole body', async () => {
    const body = `[${'['.repeat(100)}${']'.repeat(100)},\n {"type": nope}]`;
    const res = await post<ErrorBody>(edge.app, '/v1/events', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'malformed_json', position: { line: 2, column: 11, offset: body.indexOf('nope') } });
  });

  test('a truncated gzip body is 400 malformed_gzip', async () => {
    const gz = Bun.gzipSync(JSON.stringify([{ type: 'g.one' }, { type: 'g.two' }]));
    const res = await post<ErrorBody>(edge.app, '/v1/events', gz.subarray(0, gz.byteLength - 8), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_gzip');
  });

  test('an unknown route is 404 not_found', async () => {
    const res = await post<ErrorBody>(edge.app, '/v2/nothing-here', { type: 'a' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    const read = await get(edge.app, '/v1/events');
    expect(read.status).toBe(404);
    expect(JSON.parse(read.text).error.code).toBe('not_found');
  });
});

describe('with the default limits', () => {
  let defaults: EdgeFixture;
  beforeAll(async () => {
    defaults = await edgeFixture({ what: 'app_defaults' });
  });
  afterAll(async () => {
    await defaults?.close();
  });

  test('an event just under 1 MiB is accepted and one over 1 MiB is 413 event_too_large', async () => {
    const pad = (n: number) => ({ type: 'big', data: { pad: 'x'.repeat(n) } });
    const overhead = JSON.stringify(pad(0)).length;
    const ok = await post(defaults.app, '/v1/events', pad(1_048_576 - overhead));
    expect(ok.status).toBe(202);
    const tooBig = await post<ErrorBody>(defaults.app, '/v1/events', pad(1_048_576 - overhead + 1));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('event_too_large');
  });

  test('a body over 10 MiB is 413 body_too_large', async () => {
    const events = Array.from({ length: 11 }, () => ({ type: 'big', data: { pad: 'x'.repeat(1_000_000) } }));
    const res = await post<ErrorBody>(defaults.app, '/v1/events', events);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'body_too_large', limit_bytes: 10_485_760 });
  });
});

describe('health, readiness and metrics', () => {
  test('/healthz answers 200', async () => {
    const res = await get(edge.app, '/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ status: 'ok' });
  });

  test('/readyz answers 200 while the broker is reachable', async () => {
    const res = await get(edge.app, '/readyz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'ready' });
  });

  test('/readyz answers 503 while draining, so load balancers stop sending', async () => {
    let draining = false;
    const f = await edgeFixture({ what: 'app_drain', draining: () => draining });
    try {
      expect((await get(f.app, '/readyz')).status).toBe(200);
      draining = true;
      const res = await get(f.app, '/readyz');
      expect(res.status).toBe(503);
      expect(JSON.parse(res.text)).toEqual({ status: 'draining' });
    } finally {
      await f.close();
    }
  });

  test('/metrics, on the admin app, counts requests by route and status, and events by outcome and code', async () => {
    const f = await edgeFixture({ what: 'app_metrics' });
    try {
      await post(f.app, '/v1/events', [{ type: 'm.one' }, { type: 'm.two' }]);
      await post(f.app, '/v1/events', [{ type: 'm.three' }, { type: 'm.bad', data: 1 }]);
      await post(f.app, '/orders', { region: 'eu', category: 'x' });
      await post(f.app, '/v1/events', '{nope');
      await post(f.app, '/nowhere', {});
      const res = await get(f.adminApp, '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const lines = res.text.split('\n');
      expect(lines).toContain('edge_requests_total{route="/v1/events",status="202"} 1');
      expect(lines).toContain('edge_requests_total{route="/v1/events",status="207"} 1');
      expect(lines).toContain('edge_requests_total{route="/v1/events",status="400"} 1');
      expect(lines).toContain('edge_requests_total{route="/orders",status="400"} 1');
      expect(lines).toContain('edge_requests_total{route="unmatched",status="404"} 1');
      expect(lines).toContain('edge_events_total{outcome="accepted",code="ok"} 3');
      expect(lines).toContain('edge_events_total{outcome="rejected",code="invalid_type"} 1');
      expect(lines).toContain('edge_events_total{outcome="rejected",code="missing_field"} 1');
      expect(lines.some((l) => l.startsWith('edge_producer_queue_depth_messages '))).toBe(true);
      expect((await get(f.app, '/metrics')).status).toBe(404);
    } finally {
      await f.close();
    }
  });
});
