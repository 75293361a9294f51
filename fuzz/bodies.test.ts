import { describe, expect, test } from 'bun:test';
import { classify } from './answer.ts';
import { edgeRequest, fuzzRequest, validItem } from './bodies.ts';
import { gatewayRequest } from './graphql.ts';
import { createTally, formatReport, problems, record } from './report.ts';
import { ROUTES } from './request.ts';
import { createRng } from './rng.ts';
import { anyTime } from './values.ts';
import { toIsoTimestamp } from '../shared/contracts/timestamp.ts';

const LIMITS = { maxEventsPerRequest: 10_000, maxEventBytes: 1_048_576, maxBodyBytes: 10_485_760 };
const hex = (b?: Uint8Array) => (b ? Buffer.from(b).toString('hex') : '');
const many = (seed: number, n: number) => Array.from({ length: n }, (_, i) => fuzzRequest(seed, i, LIMITS, gatewayRequest));

describe('generated requests', () => {
  test('the same seed gives the same requests, byte for byte, and another seed different ones', () => {
    const a = many(7, 300).map((r) => `${r.method} ${r.path} ${JSON.stringify(r.headers)} ${hex(r.body)}`);
    const b = many(7, 300).map((r) => `${r.method} ${r.path} ${JSON.stringify(r.headers)} ${hex(r.body)}`);
    const c = many(8, 300).map((r) => `${r.method} ${r.path} ${JSON.stringify(r.headers)} ${hex(r.body)}`);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  test('a run covers valid, hostile and broken edge bodies and abusive GraphQL', () => {
    const kinds = new Set(many(1, 5000).map((r) => r.kind));
    const expected = ['valid', 'valid_batch', 'valid_ndjson', 'valid_gzip', 'malformed_json', 'bad_utf8', 'truncated_gzip', 'empty', 'wrong_content_type', 'wrong_encoding', 'unknown_route'];
    expected.push(...['string', 'key', 'odd_number', 'wrong_type', 'unknown_field', 'deep'].map((k) => `hostile_${k}`));
    expected.push(...['valid', 'aliases', 'repeated_fields', 'fragment_explosion', 'fragment_cycle', 'big_page', 'many_buckets', 'deep_selection'].map((k) => `graphql_${k}`));
    expected.push(...['none', 'malformed', 'unknown', 'revoked', 'wrong_scope', 'huge'].map((k) => `auth_${k}`));
    for (const kind of expected) expect(kinds).toContain(kind);
  });

  test('valid events give one data key a string in one event and an object or a number in another', () => {
    const types = new Map<string, Set<string>>();
    const walk = (data: unknown) => {
      if (typeof data !== 'object' || data === null || Array.isArray(data)) return;
      for (const [key, value] of Object.entries(data)) {
        const type = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
        types.set(key, (types.get(key) ?? new Set()).add(type));
      }
    };
    for (const r of many(4, 3000).filter((r) => r.kind === 'valid' && r.route === 'POST /v1/events')) walk((JSON.parse(new TextDecoder().decode(r.body)) as { data?: unknown }).data);
    const mixed = [...types].filter(([, t]) => t.has('string') && t.has('object') && t.has('number')).map(([key]) => key);
    expect(mixed.length).toBeGreaterThan(0);
  });

  test('older bodies carry integer and string ids, so user_id and order_id change type between events', () => {
    const rng = createRng(5);
    const orderIds = Array.from({ length: 200 }, () => validItem(rng, '/orders').order_id);
    const userIds = Array.from({ length: 200 }, () => validItem(rng, '/events').user_id);
    const sensorIds = Array.from({ length: 200 }, () => validItem(rng, '/data').sensor_id);
    for (const ids of [orderIds, userIds, sensorIds]) {
      expect(ids.some((id) => typeof id === 'number' && Number.isSafeInteger(id))).toBe(true);
      expect(ids.some((id) => typeof id === 'string')).toBe(true);
    }
  });

  test('event timestamps span the years 0001 to 9999, as text and as epoch millis, all within what the contract accepts', () => {
    const rng = createRng(6);
    const stamps = Array.from({ length: 3000 }, () => anyTime(rng));
    expect(stamps.every((t) => toIsoTimestamp(t) !== undefined)).toBe(true);
    const years = stamps.map((t) => new Date(t).getUTCFullYear());
    expect(new Set(years.map((y) => Math.floor(y / 1000))).size).toBe(10);
    expect(stamps.some((t) => typeof t === 'number' && t < 0)).toBe(true);
    expect(stamps.some((t) => typeof t === 'string' && t.startsWith('0'))).toBe(true);
    const sent = Array.from({ length: 3000 }, () => validItem(rng, '/v1/events').timestamp);
    expect(sent.some((t) => t !== undefined && Math.abs(new Date(t as string | number).getUTCFullYear() - 2026) > 100)).toBe(true);
  });

  test('valid items for every route are JSON with the fields that route requires', () => {
    const rng = createRng(3);
    for (const route of ROUTES) {
      for (let i = 0; i < 50; i++) {
        const item = JSON.parse(JSON.stringify(validItem(rng, route))) as Record<string, unknown>;
        const required = { '/v1/events': 'type', '/orders': 'order_id', '/api/events': 'event_type', '/events': 'event_name', '/api/events/ingest': 'event_type', '/data': 'sensor_id' }[route];
        expect(item).toHaveProperty(required);
      }
    }
  });

  test('limit bodies sit exactly at and one past the item limit, and past the event and body limits', () => {
    const small = { maxEventsPerRequest: 40, maxEventBytes: 2000, maxBodyBytes: 20_000 };
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 100_000 && counts.size < 2; seed++) {
      const req = edgeRequest(createRng(seed), small);
      if (!req.kind.startsWith('items_') || req.kind.endsWith('_ndjson')) continue;
      const text = new TextDecoder().decode(req.body);
      const parsed = JSON.parse(text) as unknown[] | { events: unknown[] };
      counts.set(req.kind, (Array.isArray(parsed) ? parsed : parsed.events).length);
    }
    expect(counts.get('items_at_limit')).toBe(40);
    expect(counts.get('items_over_limit')).toBe(41);
    const bodies = Array.from({ length: 20000 }, (_, s) => edgeRequest(createRng(s), small)).filter((r) => r.kind === 'body_too_large' || r.kind === 'gzip_bomb');
    expect(bodies.some((r) => r.kind === 'body_too_large' && r.body!.byteLength > small.maxBodyBytes)).toBe(true);
    const bomb = bodies.find((r) => r.kind === 'gzip_bomb')!;
    expect(bomb.headers['content-encoding']).toBe('gzip');
    expect(Bun.gunzipSync(bomb.body! as Uint8Array<ArrayBuffer>).byteLength).toBeGreaterThan(small.maxBodyBytes);
    expect(bomb.body!.byteLength).toBeLessThan(small.maxBodyBytes / 10);
  });

  test('hostile strings reach the wire as NUL and lone-surrogate escapes', () => {
    const texts = many(2, 20000).filter((r) => r.kind === 'hostile_string').map((r) => new TextDecoder().decode(r.body));
    expect(texts.some((t) => t.includes('\\u0000'))).toBe(true);
    expect(texts.some((t) => /\\ud8[0-9a-f]{2}/.test(t))).toBe(true);
  });
});

describe('reading answers', () => {
  const edge = { target: 'edge', method: 'POST', path: '/v1/events', route: 'POST /v1/events', headers: {}, kind: 'valid' } as const;
  const headers = (h: Record<string, string>) => new Headers(h);

  test('a receipt gives its accepted ids and the first rejected code', () => {
    const body = JSON.stringify({ accepted: 1, rejected: 1, results: [{ index: 0, status: 'accepted', id: 'a' }, { index: 1, status: 'rejected', code: 'too_deep' }] });
    expect(classify(edge, 207, headers({}), body)).toEqual({ route: 'POST /v1/events', status: '207', code: 'too_deep', failure: false, acceptedIds: ['a'] });
  });

  test("the edge's documented 503s with Retry-After are not failures; other 5xx and a 503 without Retry-After are", () => {
    const overloaded = JSON.stringify({ error: { code: 'overloaded' } });
    expect(classify(edge, 503, headers({ 'retry-after': '1' }), overloaded).failure).toBe(false);
    expect(classify(edge, 503, headers({}), overloaded).failure).toBe(true);
    expect(classify(edge, 500, headers({}), JSON.stringify({ error: { code: 'internal_error' } })).failure).toBe(true);
    expect(classify({ ...edge, target: 'gateway' }, 503, headers({ 'retry-after': '1' }), overloaded).failure).toBe(true);
  });

  test('GraphQL answers are tallied by their first extensions.code', () => {
    const gql = { ...edge, target: 'gateway', route: 'POST /graphql' } as const;
    expect(classify(gql, 400, headers({}), JSON.stringify({ errors: [{ message: 'x', extensions: { code: 'QUERY_TOO_COSTLY' } }] })).code).toBe('QUERY_TOO_COSTLY');
    expect(classify(gql, 200, headers({}), 'not json').code).toBe('not_json');
  });
});

describe('the report', () => {
  test('passes only with no failures, no process gone, nothing missing and no lag', () => {
    const tally = createTally();
    record(tally, 0, 'valid', { route: 'POST /v1/events', status: '202', code: '-', failure: false, acceptedIds: ['a'] });
    const ok = { planned: 1, seconds: 1, seed: 1, tally, distinctIds: 1, processes: [{ name: 'edge :1', pid: 1, peakBytes: 1e8, alive: true }], settled: { lag: [{ partition: 0, high: 5n, committed: 5n, lag: 0n }], missing: { elasticsearch: [], postgres: [], redis: [] }, seconds: 1 } };
    expect(problems(ok)).toEqual([]);
    expect(formatReport(ok)).toContain('result: PASS');
    const bad = { ...ok, processes: [{ ...ok.processes[0]!, alive: false }], settled: { ...ok.settled, missing: { ...ok.settled.missing, postgres: ['a'] }, lag: [{ partition: 0, high: 7n, committed: 5n, lag: 2n }] } };
    expect(problems(bad)).toEqual(['crashed: edge :1 pid 1', '1 accepted events missing from postgres', 'lag left on partitions 0 (2)']);
    expect(formatReport(bad)).toContain('result: FAIL');
  });
});
