import { afterAll, describe, expect, test } from 'bun:test';
import { createParseCache } from './parse-cache.ts';
import { createRun, graphql } from './testing.ts';
import { createGateway } from './yoga.ts';

const run = createRun();
afterAll(() => run.cleanup());

describe('the parse cache', () => {
  test('keeps the most recently used documents up to its size and never a text over its length', () => {
    const cache = createParseCache<number>({ maxEntries: 2, maxDocumentChars: 10 });
    cache.set('{ a }', 1);
    cache.set('{ b }', 2);
    cache.get('{ a }');
    cache.set('{ c }', 3);
    expect([cache.get('{ a }'), cache.get('{ b }'), cache.get('{ c }')]).toEqual([1, undefined, 3]);
    cache.set('{ much longer }', 4);
    expect(cache.get('{ much longer }')).toBeUndefined();
    expect([cache.size, cache.chars]).toEqual([2, 10]);
  });

  test('a flood of distinct large refused documents leaves the gateway holding almost none of them', async () => {
    const gateway = createGateway({ config: run.config, auth: run.auth, dlq: false });
    const ask = run.as('read', gateway.yoga.fetch);
    try {
      await graphql(ask, '{ ok }'); // warm up: key cache, schema, first parse
      Bun.gc(true);
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 60; i++) {
        // ~500 KB each: half too many tokens (query_too_large at parse), half a long comment over an unknown field
        // (parsed, then refused by validation); every one distinct.
        const document = i % 2 === 0
          ? `{ ${`ok${i} `.repeat(100_000)} }`
          : `# ${String(i).padStart(6, '0')}${'x'.repeat(500_000)}\n{ nope${i} }`;
        const { data, errors } = await graphql(ask, document);
        expect([data, errors?.[0]?.extensions?.code]).toEqual([undefined, i % 2 === 0 ? 'query_too_large' : 'GRAPHQL_VALIDATION_FAILED']);
      }
      Bun.gc(true);
      const grown = process.memoryUsage().heapUsed - before;
      const { documentCache, errorCache } = gateway.parseCaches;
      expect(documentCache.chars + errorCache.chars).toBeLessThanOrEqual(2 * gateway.config.parseCacheMaxDocumentChars);
      // 60 documents of 500 KB are 30 MB of text alone; what stays must be far below that.
      expect(grown).toBeLessThan(20 * 1024 * 1024);
      await graphql(ask, '{ ok }');
      expect(documentCache.size).toBeGreaterThanOrEqual(1);
    } finally {
      await gateway.close();
    }
  });
});
