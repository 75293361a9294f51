import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startDemoTraffic } from './demo.ts';
import { isolatedPlatform, type IsolatedPlatform } from './isolated-platform.ts';

// The whole data path as `npm start` runs it — edge, workers and query as real processes — on this run's own topic,
// group, index prefix, schema, API keys and key prefix, so it can run beside everything else. Events go in over HTTP
// with an ingest key and come back out of GraphQL and REST with a read key.
const ports = { edge: 18180, workers: 19570, query: 14100 };
let platform: IsolatedPlatform;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const ingest = (path: string, body: unknown) =>
  fetch(`http://127.0.0.1:${ports.edge}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(platform.keys.ingest) }, body: JSON.stringify(body) });
const read = (path: string) => fetch(`http://127.0.0.1:${ports.query}${path}`, { headers: bearer(platform.keys.readAdmin) });

const gql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<{ data: T; errors?: unknown[] }> => {
  const res = await fetch(`http://127.0.0.1:${ports.query}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(platform.keys.readAdmin) }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data: T; errors?: unknown[] };
};
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => undefined as T);
    if (last !== undefined && done(last)) return last;
    await Bun.sleep(200);
  }
  throw new Error(`${what} not reached; last: ${JSON.stringify(last)}`);
}

describe('edge → Kafka → workers → stores → query, as real processes', () => {
  beforeAll(async () => {
    platform = await isolatedPlatform({ what: 'e2e', ports });
  }, 150_000);

  afterAll(async () => platform?.stop(), 90_000);

  test('events posted over HTTP are returned by GraphQL search, lookup, counts and live stats', async () => {
    const res = await ingest('/v1/events', [
      { type: 'signup', source: 'web', key: 'u-1', data: { plan: 'marmalade' } },
      { type: 'signup', source: 'web', key: 'u-2', data: { plan: 'basic' } },
      { type: 'page.view', source: 'web', key: 'u-1', data: { path: '/pricing' } },
    ]);
    expect(res.status).toBe(202);
    const receipt = (await res.json()) as { results: Array<{ id: string }> };
    const ids = receipt.results.map((r) => r.id);

    type Search = { events: { totalCount: number; nodes: Array<{ id: string; type: string; data: { plan?: string } }> } };
    const found = await eventually(() => gql<Search>('{ events(query: "marmalade") { totalCount nodes { id type data } } }'), (r) => r.data?.events?.totalCount === 1, 'search hit');
    expect(found.data.events.nodes[0]).toMatchObject({ id: ids[0], type: 'signup', data: { plan: 'marmalade' } });

    const one = await gql<{ event: { id: string; key: string } }>('query($id: ID!) { event(id: $id) { id key } }', { id: ids[2] });
    expect(one.data.event).toEqual({ id: ids[2]!, key: 'u-1' });

    const counts = await gql<{ countEvents: number }>('{ countEvents(type: "signup") }');
    expect(counts.data.countEvents).toBe(2);

    type Live = { liveStats: { total: number; byType: Array<{ value: string; count: number }> } };
    const live = await eventually(() => gql<Live>('{ liveStats { total byType { value count } } }'), (r) => r.data?.liveStats?.total === 3, 'live total');
    expect(live.data.liveStats.byType).toContainEqual({ value: 'signup', count: 2 });
  }, 60_000);

  test('without a key the edge and the gateway answer 401, and an ingest key cannot read events back', async () => {
    const post = await fetch(`http://127.0.0.1:${ports.edge}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"anonymous"}' });
    expect(post.status).toBe(401);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('missing_credentials');
    const query = JSON.stringify({ query: '{ countEvents }' });
    const anonymous = await fetch(`http://127.0.0.1:${ports.query}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query });
    expect(anonymous.status).toBe(401);
    const ingestOnly = await fetch(`http://127.0.0.1:${ports.query}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(platform.keys.ingest) }, body: query });
    expect(ingestOnly.status).toBe(403);
    expect(((await ingestOnly.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('insufficient_scope');
  });

  test('a sensor reading posted to /data is the latest value and the newest row of GET /data', async () => {
    const res = await ingest('/data', { sensor_id: 'e2e-sensor', value: 21.5, unit: 'celsius' });
    expect(res.status).toBe(202);
    const latest = await eventually(() => read('/recent/e2e-sensor').then((r) => r.json() as Promise<{ value?: number }>), (r) => r.value === 21.5, 'latest reading');
    expect(latest).toMatchObject({ sensor_id: 'e2e-sensor', value: 21.5, unit: 'celsius' });
    const rows = await eventually(() => read('/data?sensor_id=e2e-sensor').then((r) => r.json() as Promise<{ count: number; data: Array<{ value: number }> }>), (r) => r.count === 1, 'sensor row');
    expect(rows.data[0]?.value).toBe(21.5);
  }, 60_000);

  // Last: the demo's events would change the counts the tests above read.
  test('npm start\'s demo traffic, given the ingest key, gets its orders into the stores without a refused request', async () => {
    const stop = startDemoTraffic({ env: { DEMO_EDGE_URL: `http://127.0.0.1:${ports.edge}`, DEMO_API_KEY: platform.keys.ingest, DEMO_ORDERS_PER_SECOND: '40' }, log: () => {} });
    let result = { sent: 0, failed: 0 };
    try {
      await eventually(() => gql<{ countEvents: number }>('{ countEvents(type: "order.created") }'), (r) => (r.data?.countEvents ?? 0) > 0, 'a demo order in Postgres');
    } finally {
      result = stop();
    }
    expect(result.failed).toBe(0);
  }, 60_000);
});
