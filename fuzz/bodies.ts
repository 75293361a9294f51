import { hostileAuth } from './auth.ts';
import { createRng, requestSeed, type Rng } from './rng.ts';
import { data, HOSTILE_KEYS, HOSTILE_STRINGS, nestedText, ODD_NUMBER_TEXTS, ODD_NUMBERS, SOURCES, timestamp, TYPES, type Json } from './values.ts';
import { limitBody } from './limits.ts';
import { batchText, JSON_TYPE, NDJSON_TYPE, post, ROUTES, utf8, type EdgeLimits, type FuzzRequest, type Route } from './request.ts';

export type { EdgeLimits, FuzzRequest } from './request.ts';

type Obj = { [key: string]: Json };

/** A valid envelope: type, and maybe source, key, timestamp, a client id, data. */
export function envelope(rng: Rng): Obj {
  const e: Obj = { type: rng.pick(TYPES) };
  if (rng.chance(0.5)) e.source = rng.pick(SOURCES);
  if (rng.chance(0.4)) e.key = `u-${rng.int(50)}`;
  if (rng.chance(0.3)) e.timestamp = timestamp(rng);
  if (rng.chance(0.1)) e.id = `fz-${rng.int(2 ** 31).toString(36)}-${rng.int(2 ** 31).toString(36)}`;
  if (rng.chance(0.9)) e.data = data(rng);
  return e;
}

/**
 * An id of the older bodies: the services before the edge took strings and integers alike, so both arrive, and the
 * same data key (user_id, order_id) holds a string in one event and a number in the next.
 */
const legacyId = (rng: Rng, prefix: string, n: number): string | number => (rng.chance(0.4) ? rng.int(n) : `${prefix}${rng.int(n)}`);

/** A valid body item for `route` (the older services' shapes for theirs). */
export function validItem(rng: Rng, route: Route): Obj {
  const when = (): Obj => (rng.chance(0.3) ? { timestamp: timestamp(rng) } : {});
  switch (route) {
    case '/orders':
      return { order_id: legacyId(rng, 'o-', 1e6), region: rng.pick(['eu-west', 'us-east', 'ap-south']), category: rng.pick(['books', 'games']), amount: rng.int(100000) / 100 + 0.005, ...data(rng, 1) };
    case '/events': {
      const id: Obj = rng.chance(0.1) ? { event_id: rng.chance(0.5) ? rng.int(2 ** 31) * 1000 + rng.int(1000) : `fz-${rng.int(2 ** 31).toString(36)}` } : {};
      return { ...id, user_id: legacyId(rng, 'u-', 50), event_name: rng.pick(TYPES), ...(rng.chance(0.5) && { metadata: data(rng) }), ...when() };
    }
    case '/api/events':
      return { event_type: rng.pick(TYPES), source: rng.pick(SOURCES), payload: data(rng), ...(rng.chance(0.5) && { user_id: legacyId(rng, 'u-', 50) }), ...when() };
    case '/api/events/ingest':
      return { event_type: rng.pick(TYPES), source: rng.pick(SOURCES), data: data(rng) };
    case '/data':
      return { sensor_id: legacyId(rng, 'sensor-', 20), value: rng.int(10000) / 100 + 0.005, ...(rng.chance(0.5) && { unit: 'celsius' }), ...when() };
    default:
      return envelope(rng);
  }
}

/** An own enumerable property even for `__proto__`, so JSON.stringify writes the key as given. */
function withKey(obj: Obj, key: string, value: Json): Obj {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  return obj;
}

function hostileEvent(rng: Rng, kind: string): string {
  const e = envelope(rng);
  const d = (e.data ??= {}) as Obj;
  switch (kind) {
    case 'hostile_string': {
      const field = rng.pick(['data', 'data', 'key', 'source', 'type', 'id']);
      const s = rng.pick(HOSTILE_STRINGS);
      if (field === 'data') d.s_hostile = s;
      else e[field] = s;
      return JSON.stringify(e);
    }
    case 'hostile_key':
      withKey(d, rng.pick(HOSTILE_KEYS), 'v');
      return JSON.stringify(e);
    case 'odd_number': {
      if (rng.chance(0.3)) return `{"type":"odd.number","timestamp":${rng.pick(ODD_NUMBER_TEXTS)}}`;
      if (rng.chance(0.5)) return `{"type":"odd.number","data":{"raw_number":${rng.pick(ODD_NUMBER_TEXTS)}}}`;
      const cls = rng.pick(Object.keys(ODD_NUMBERS));
      return `{"type":"odd.number","data":{"${cls}_number":${JSON.stringify(rng.pick(ODD_NUMBERS[cls]!))}}}`;
    }
    case 'wrong_type': {
      const field = rng.pick(['type', 'source', 'key', 'timestamp', 'data', 'id']);
      e[field] = rng.pick<Json>([42, true, null, [], ['x'], { a: 1 }, 'not a date', -1, 1e20]);
      return JSON.stringify(e);
    }
    case 'unknown_field':
      e[rng.pick(['extra', 'Type', 'payload', 'event_type', 'receivedAt', ''])] = 'x';
      return JSON.stringify(e);
    case 'deep': {
      const max = 32;
      const levels = rng.pick([max - 1, max, max + 1, 1000, 100_000]);
      const inner = nestedText(levels, rng.chance(0.5) ? 'object' : 'array');
      return `{"type":"deep.nesting","data":{"${inner.startsWith('{') ? 'o_deep' : 'deep_array'}":${inner}}}`;
    }
    default:
      return JSON.stringify(e);
  }
}

const HOSTILE = ['hostile_string', 'hostile_key', 'odd_number', 'wrong_type', 'unknown_field', 'deep'] as const;
const MALFORMED = ['{"type":"x"', '{"type":"x",}', "{'type':'x'}", '{"type":"x"}{"type":"y"}', 'nul', '\ufeff{"type":"x"}', '{"type":"x"} // c', '[1,2', '"just a string"', '42', 'null', '[[]]', '{"events":{}}'];
const BAD_UTF8 = [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0x80]];

function badUtf8(rng: Rng): Uint8Array {
  const bytes = rng.pick(BAD_UTF8);
  const inString = rng.chance(0.7);
  const head = utf8(inString ? '{"type":"utf8.test","data":{"s_note":"a' : '{"type":"utf8.test",');
  const tail = utf8(inString ? 'b"}}' : '"data":{}}');
  return Uint8Array.from([...head, ...bytes, ...tail]);
}

/** The edge request with this seed: valid, hostile or broken, by weight. */
export function edgeRequest(rng: Rng, limits: EdgeLimits): FuzzRequest {
  const route = rng.pick(ROUTES);
  const query = rng.chance(0.1) ? '?ack=queued' : '';
  const kind = rng.weighted<string>([
    [30, 'valid'], [10, 'valid_batch'], [6, 'valid_ndjson'], [4, 'valid_gzip'], [24, 'hostile'], [4, 'malformed_json'],
    [4, 'bad_utf8'], [2, 'truncated_gzip'], [2, 'empty'], [2, 'wrong_content_type'], [2, 'wrong_encoding'], [1, 'unknown_route'],
    [0.3, 'limit'],
  ]);
  const item = () => JSON.stringify(validItem(rng, route));
  switch (kind) {
    case 'valid':
      return post(route, route === '/api/events/ingest' ? batchText(route, [item()], true) : item(), kind, JSON_TYPE, query);
    case 'valid_batch':
      return post(route, batchText(route, Array.from({ length: rng.between(1, 20) }, item), rng.chance(0.3)), kind, JSON_TYPE, query);
    case 'valid_ndjson': {
      const lines = Array.from({ length: rng.between(1, 20) }, item);
      if (rng.chance(0.3)) lines.splice(rng.int(lines.length), 0, '{"type":', '', '   ');
      return post(route, lines.join(rng.chance(0.5) ? '\n' : '\r\n') + '\n', kind, NDJSON_TYPE, query);
    }
    case 'valid_gzip':
      return post(route, Bun.gzipSync(batchText(route, [item(), item()])), kind, { ...JSON_TYPE, 'content-encoding': 'gzip' }, query);
    case 'hostile': {
      const which = rng.pick(HOSTILE);
      const e = hostileEvent(rng, which);
      return post('/v1/events', rng.chance(0.5) ? e : `[${item()},${e}]`, `hostile_${which.replace(/^hostile_/, '')}`, JSON_TYPE, query);
    }
    case 'malformed_json':
      return post(route, rng.pick(MALFORMED), kind);
    case 'bad_utf8':
      return post('/v1/events', badUtf8(rng), kind);
    case 'truncated_gzip': {
      const gz = Bun.gzipSync(batchText(route, [item()]));
      return post(route, rng.chance(0.8) ? gz.subarray(0, rng.between(1, gz.length - 1)) : utf8('not gzip at all'), kind, { ...JSON_TYPE, 'content-encoding': 'gzip' });
    }
    case 'empty':
      return post(route, rng.pick(['', '   \n', '[]', '{"events":[]}', '\n\n']), kind, rng.chance(0.5) ? JSON_TYPE : NDJSON_TYPE);
    case 'wrong_content_type':
      return post(route, item(), kind, { 'content-type': rng.pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/jsonl', '*/*']) });
    case 'wrong_encoding':
      return post(route, item(), kind, { ...JSON_TYPE, 'content-encoding': rng.pick(['br', 'deflate', 'gzip, gzip', 'identity', 'x-gzip', 'GZIP']) });
    case 'unknown_route': {
      const [method, path] = rng.pick([['GET', '/v1/events'], ['POST', '/v2/events'], ['PUT', '/orders'], ['POST', '/v1/events/'], ['POST', '/%00'], ['GET', '/metrics?x=' + 'a'.repeat(4000)]] as const);
      return { target: 'edge', method, path, route: `${method} (other)`, headers: JSON_TYPE, body: method === 'GET' ? undefined : utf8(item()), kind };
    }
    default:
      return limitBody(rng, limits, route, item);
  }
}

// Share of requests, to either service, sent with hostile credentials instead of the run's key.
const HOSTILE_AUTH_SHARE = 0.08;

/** Request `index` of the run seeded `seed`; `gatewayShare` of them go to the GraphQL gateway. */
export function fuzzRequest(seed: number, index: number, limits: EdgeLimits, gateway: (rng: Rng) => FuzzRequest, gatewayShare = 0.15): FuzzRequest {
  const rng = createRng(requestSeed(seed, index));
  const req = rng.chance(gatewayShare) ? gateway(rng) : edgeRequest(rng, limits);
  return rng.chance(HOSTILE_AUTH_SHARE) ? hostileAuth(rng, req) : req;
}
