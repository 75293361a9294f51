import { afterAll, describe, expect, test } from 'bun:test';
import { Client, errors } from '@elastic/elasticsearch';
import { connectionsConfig } from '../config/connections.ts';
import { loadConfig } from '../config/index.ts';
import { FetchConnection } from './es-connection.ts';

// Against the real search node: the connection is only right if the client's own calls and error types work over it.
const node = loadConfig(connectionsConfig).elasticsearchUrl;
const client = new Client({ node, Connection: FetchConnection, maxRetries: 0 });
const index = `test-fetch-connection-${crypto.randomUUID().slice(0, 8)}`;

afterAll(async () => {
  await client.indices.delete({ index }, { ignore: [404] });
  await client.close();
});

describe('FetchConnection', () => {
  test('the client indexes in bulk, searches and reads answers through it', async () => {
    const bulk = await client.bulk({
      refresh: true,
      operations: [{ create: { _index: index, _id: 'a' } }, { n: 1, word: 'alpha' }, { create: { _index: index, _id: 'b' } }, { n: 2, word: 'beta' }],
    });
    expect(bulk.errors).toBe(false);
    const found = await client.search<{ n: number }>({ index, query: { match: { word: 'beta' } } });
    expect(found.hits.hits.map((h) => h._source?.n)).toEqual([2]);
    expect(await client.indices.exists({ index })).toBe(true);
  });

  test('a refused item comes back in the bulk answer, and a missing index is a ResponseError with its status', async () => {
    const again = await client.bulk({ operations: [{ create: { _index: index, _id: 'a' } }, { n: 1 }] });
    expect(again.errors).toBe(true);
    expect(again.items[0]?.create?.status).toBe(409);
    const missing = await client.get({ index: `${index}-missing`, id: 'x' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(errors.ResponseError);
    expect((missing as errors.ResponseError).statusCode).toBe(404);
  });

  // ELASTICSEARCH_URL=http://elastic:<password>@elasticsearch:9200 in docker-compose.yml. The local node has security
  // off, so an HTTP listener of our own records what arrives.
  test('credentials in the node URL are sent as HTTP Basic, percent-decoded, and never in the requested URL', async () => {
    const seen: Array<{ url: string; authorization: string | null }> = [];
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(req) {
        seen.push({ url: req.url, authorization: req.headers.get('authorization') });
        return Response.json({ cluster_name: 'recorder', version: { number: '8.19.21' }, tagline: 'You Know, for Search' }, { headers: { 'x-elastic-product': 'Elasticsearch' } });
      },
    });
    const withUser = new Client({ node: `http://elastic:p%40ss%3Aword@127.0.0.1:${server.port}`, Connection: FetchConnection, maxRetries: 0 });
    try {
      expect((await withUser.info()).cluster_name).toBe('recorder');
      expect(seen).toEqual([{ url: `http://127.0.0.1:${server.port}/`, authorization: `Basic ${btoa('elastic:p@ss:word')}` }]);
    } finally {
      await withUser.close();
      await server.stop(true);
    }
  });

  test('a node that is not listening is a ConnectionError', async () => {
    const nowhere = new Client({ node: 'http://127.0.0.1:1', Connection: FetchConnection, maxRetries: 0 });
    const error = await nowhere.info().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errors.ConnectionError);
    await nowhere.close();
  });

  test('an answer slower than the request timeout is a TimeoutError', async () => {
    // The health call waits for 99 nodes, which never come, for up to 5 s before answering.
    const error = await client.cluster.health({ wait_for_nodes: '99', timeout: '5s' }, { requestTimeout: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errors.TimeoutError);
  });

  test('a request the caller aborts is a RequestAbortedError', async () => {
    const controller = new AbortController();
    const pending = client.cluster.health({ wait_for_nodes: '99', timeout: '5s' }, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 100);
    expect(await pending).toBeInstanceOf(errors.RequestAbortedError);
  });
});
