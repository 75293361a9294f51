import { afterAll, describe, expect, test } from 'bun:test';

// Runs against a node that is already up (`stack up`); plain fetch keeps it independent of the JS client.
const base = (process.env.ELASTICSEARCH_URL ?? 'http://127.0.0.1:9200').replace(/\/+$/, '');
const index = `event-lens-test-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;

interface RootInfo {
  cluster_name: string;
  version: { number: string; lucene_version: string };
  tagline: string;
}

interface SearchResult {
  hits: { total: { value: number }; hits: { _id: string; _source: { message: string } }[] };
}

async function es(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

describe('local Elasticsearch node', () => {
  afterAll(async () => {
    await es('DELETE', `/${index}`);
  });

  test('answers GET / like a stock 8.19 node, product header included', async () => {
    const res = await es('GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const info = res.json as RootInfo;
    expect(info.version.number).toMatch(/^8\.19\.\d+$/);
    expect(info.tagline).toBe('You Know, for Search');
  });

  test('answers HEAD / with 200 so a client ping succeeds', async () => {
    const res = await fetch(`${base}/`, { method: 'HEAD' });
    expect(res.status).toBe(200);
  });

  test('finds an indexed document again by a full-text match', async () => {
    const created = await es('PUT', `/${index}`, {
      settings: { number_of_shards: 1, number_of_replicas: 0 },
      mappings: { properties: { message: { type: 'text' }, kind: { type: 'keyword' } } },
    });
    expect(created.status).toBe(200);

    const doc = { message: 'User clicked the Checkout button twice', kind: 'click' };
    const indexed = await es('PUT', `/${index}/_doc/evt-1?refresh=wait_for`, doc);
    expect(indexed.status).toBe(201);

    const found = await es('POST', `/${index}/_search`, { query: { match: { message: 'checkout BUTTON' } } });
    expect(found.status).toBe(200);
    const { hits } = found.json as SearchResult;
    expect(hits.total.value).toBe(1);
    expect(hits.hits[0]?._id).toBe('evt-1');
    expect(hits.hits[0]?._source.message).toBe(doc.message);
  });
});
