import type { FuzzRequest } from './request.ts';
import type { Rng } from './rng.ts';

/**
 * GraphQL documents for the gateway: ordinary queries, and the abusive ones a public GraphQL endpoint meets
 * (OWASP GraphQL cheat sheet: depth, aliases, field duplication, fragment cycles and explosions, introspection, page
 * sizes, batching), plus broken HTTP around them.
 */
const enc = new TextEncoder();
const JSON_TYPE = { 'content-type': 'application/json' } as const;

const gql = (kind: string, body: unknown, headers: Record<string, string> = JSON_TYPE): FuzzRequest => ({
  target: 'gateway',
  method: 'POST',
  path: '/graphql',
  route: 'POST /graphql',
  headers,
  body: enc.encode(typeof body === 'string' ? body : JSON.stringify(body)),
  kind: `graphql_${kind}`,
});

const repeat = (n: number, f: (i: number) => string, sep = ' ') => Array.from({ length: n }, (_, i) => f(i)).join(sep);

const VALID = [
  '{ liveStats { total eventsPerSecond byType { value count } latency { p50Ms p99Ms } } }',
  '{ events(first: 5) { totalCount nodes { id type source key timestamp data } pageInfo { hasNextPage endCursor } } }',
  '{ events(query: "signup", filter: { types: ["signup"] }, first: 3) { totalCount } }',
  '{ countEvents topTypes(limit: 5) { value count } topSources { value count } }',
  '{ recentEvents(limit: 5) { id type event { id data } } }',
  '{ eventCounts(from: "2026-11-23T00:00:00Z", to: "2026-11-24T00:00:00Z", interval: HOUR) { start count } }',
  '{ latest(key: "sensor-1") { value unit } readings(sensorId: "sensor-1", limit: 3) { value } }',
  '{ deadLetters(first: 3) { totalCount nodes { reason stage } } }',
  '{ __typename ok }',
];

const INTROSPECTION_TYPE = (levels: number) => `type { name ${'ofType { name '.repeat(levels)}${'} '.repeat(levels)}}`;

function abusive(rng: Rng, kind: string): string {
  switch (kind) {
    case 'deep_selection': {
      // Fields that do not exist, nested far past any depth limit: the parser and validator see all of it.
      const levels = rng.pick([9, 50, 1000, 5000]);
      return `{ liveStats ${'{ byType '.repeat(levels)}{ value }${' }'.repeat(levels)} }`;
    }
    case 'repeated_fields':
      return `{ ${repeat(rng.pick([1000, 5000, 20000]), () => 'ok')} }`;
    case 'aliases':
      return `{ ${repeat(rng.pick([1000, 5000]), (i) => `a${i}: ${rng.chance(0.5) ? 'liveStats { total }' : 'ok'}`)} }`;
    case 'aliased_introspection':
      return `{ ${repeat(rng.pick([100, 1000]), (i) => `s${i}: __schema { types { name fields { name args { name } } } }`)} }`;
    case 'deep_introspection':
      return `{ __schema { types { fields { ${INTROSPECTION_TYPE(rng.pick([10, 100, 1000]))} } } } }`;
    case 'fragment_cycle':
      return 'query { ...A } fragment A on Query { ok ...B } fragment B on Query { ok ...A }';
    case 'fragment_explosion': {
      const n = rng.pick([10, 20, 26]);
      const frags = repeat(n, (i) => (i === 0 ? 'fragment F0 on Query { ok }' : `fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`));
      return `query { ...F${n - 1} } ${frags}`;
    }
    case 'directives':
      return `{ ok ${repeat(rng.pick([1000, 10000]), () => '@include(if: true)')} }`;
    case 'big_page':
      return rng.pick([
        '{ events(first: 1000000) { nodes { id } } }',
        '{ events(first: -1) { nodes { id } } }',
        '{ events(first: 2147483648) { nodes { id } } }',
        '{ recentEvents(limit: 1000000) { id } }',
        '{ topTypes(limit: 2147483647) { value } }',
        '{ readings(limit: 100000000) { value } }',
        '{ deadLetters(first: 100000) { nodes { id } } }',
        `{ latestValues(keys: [${repeat(10000, (i) => `"k${i}"`, ',')}]) { value } }`,
      ]);
    case 'many_buckets':
      return rng.pick([
        '{ eventCounts(from: "0000-01-01T00:00:00Z", to: "9999-12-31T23:59:59Z", interval: SECOND) { count } }',
        '{ eventCounts(from: "1970-01-01T00:00:00Z", to: "2026-11-23T00:00:00Z", interval: MINUTE) { count } }',
        '{ eventCounts(from: "2026-11-24T00:00:00Z", to: "2026-11-23T00:00:00Z") { count } }',
        '{ eventCounts(from: "2026-11-23T00:00:00", to: "2026-11-24T00:00:00") { count } }',
      ]);
    case 'huge_argument':
      return `{ events(query: "${'x'.repeat(rng.pick([10_000, 500_000]))}") { totalCount } }`;
    default:
      return rng.pick(VALID);
  }
}

const KINDS = [
  'deep_selection', 'repeated_fields', 'aliases', 'aliased_introspection', 'deep_introspection', 'fragment_cycle',
  'fragment_explosion', 'directives', 'big_page', 'many_buckets', 'huge_argument',
] as const;

/** The gateway request with this seed. */
export function gatewayRequest(rng: Rng): FuzzRequest {
  const kind = rng.weighted<string>([[40, 'valid'], [45, 'abusive'], [10, 'broken'], [5, 'rest']]);
  if (kind === 'valid') return gql('valid', { query: rng.pick(VALID) });
  if (kind === 'abusive') {
    const which = rng.pick(KINDS);
    return gql(which, { query: abusive(rng, which) });
  }
  if (kind === 'rest') {
    const path = rng.pick(['/analytics/events/count?from_ts=abc&to_ts=1e400', '/data?sensor_id=%00&limit=99999999', '/recent/%ud800', '/api/stats', `/data?sensor_id=${'s'.repeat(5000)}`]);
    return { target: 'gateway', method: 'GET', path, route: `GET ${path.split('?')[0]!.replace(/^\/recent\/.*/, '/recent/:sensor_id')}`, headers: {}, kind: 'rest_hostile' };
  }
  const broken = rng.pick(['not_json', 'no_query', 'query_not_string', 'bad_variables', 'batch', 'wrong_type', 'too_large', 'get_long'] as const);
  switch (broken) {
    case 'not_json':
      return gql(broken, '{"query": "{ ok }"');
    case 'no_query':
      return gql(broken, { variables: {} });
    case 'query_not_string':
      return gql(broken, { query: 123 });
    case 'bad_variables':
      return gql(broken, { query: 'query($n: Int!) { events(first: $n) { totalCount } }', variables: rng.pick<unknown>(['x', { n: 'x' }, { n: 1e20 }, [1]]) });
    case 'batch':
      return gql(broken, Array.from({ length: rng.pick([2, 1000]) }, () => ({ query: '{ ok }' })));
    case 'wrong_type':
      return gql(broken, { query: '{ ok }' }, { 'content-type': rng.pick(['text/plain', 'application/xml', 'application/graphql']) });
    case 'too_large':
      return gql(broken, { query: `{ ok } # ${'x'.repeat(1_100_000)}` });
    case 'get_long':
      return { target: 'gateway', method: 'GET', path: `/graphql?query=${encodeURIComponent(`{ ${repeat(2000, () => 'ok')} }`)}`, route: 'GET /graphql', headers: { accept: 'application/json' }, kind: 'graphql_get_long' };
  }
}
