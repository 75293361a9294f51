import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { seedEvents, seedStart } from './fixtures.ts';
import { createRun, graphql } from './testing.ts';
import { createGateway, type Gateway } from './yoga.ts';

const run = createRun();
const gateways: Gateway[] = [];
function gatewayWith(options: Parameters<typeof createGateway>[0] = {}) {
  const gateway = createGateway({ config: run.config, auth: run.auth, dlq: false, ...options });
  gateways.push(gateway);
  return (query: string, variables?: Record<string, unknown>) => graphql(run.as('read', gateway.yoga.fetch), query, variables);
}
const ask = gatewayWith();
// A search node that answers nothing: had a refused search reached it, the answer would be STORE_UNAVAILABLE instead.
const askWithoutSearch = gatewayWith({ urls: { elasticsearchUrl: 'http://127.0.0.1:1' }, config: { ...run.config, storeTimeoutMs: 1_000 } });
const SEARCH = 'query($q: String, $filter: EventFilter) { events(query: $q, filter: $filter) { totalCount } }';

beforeAll(() => run.write(seedEvents(seedStart()), ['elasticsearch']));
afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await run.cleanup();
});

describe('strings the stores would be handed are bounded before any store is asked', () => {
  test('a 100,000-character search is BAD_USER_INPUT naming the argument and QUERY_MAX_SEARCH_CHARS', async () => {
    const answer = await askWithoutSearch(`{ events(query: "${'a'.repeat(100_000)}") { totalCount } }`);
    expect(answer.status).toBe(400);
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'events', argument: 'query', path: 'query', issue: 'too_long', found: 100_000, limit: 512 });
    expect(answer.errors?.[0]?.message).toBe('`query` of events is 100000 characters long; at most 512 characters (QUERY_MAX_SEARCH_CHARS).');
  });

  test('the same search sent as a variable is refused the same way', async () => {
    const answer = await askWithoutSearch(SEARCH, { q: 'a'.repeat(513) });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'query', found: 513, limit: 512 });
  });

  test('a search of exactly 512 characters is answered by the search node', async () => {
    const answer = await ask(SEARCH, { q: 'widget'.padEnd(512) });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.['events']).toEqual({ totalCount: 3 });
  });

  test('an overlong type name in a filter list names the path and index inside the argument', async () => {
    const answer = await askWithoutSearch(SEARCH, { filter: { types: ['order.created', 'x'.repeat(1025)] } });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT', field: 'events', argument: 'filter', path: 'filter.types.1', index: 1, issue: 'too_long', found: 1025, limit: 1024,
    });
    expect(answer.errors?.[0]?.message).toContain('QUERY_MAX_ARGUMENT_CHARS');
  });

  test('a list of more than QUERY_MAX_ARGUMENT_ITEMS strings is too_many_items', async () => {
    const types = Array.from({ length: 101 }, (_, i) => `type-${i}`);
    const answer = await askWithoutSearch(`{ eventCounts(from: "2026-03-01T00:00:00Z", to: "2026-03-01T01:00:00Z", types: ${JSON.stringify(types)}) { count } }`);
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'eventCounts', argument: 'types', path: 'types', issue: 'too_many_items', found: 101, limit: 100 });
  });

  test('filters within the bounds are searched as before', async () => {
    const answer = await ask(SEARCH, { filter: { types: ['user.signup', 'x'.repeat(1024)], sources: ['web'] } });
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.['events']).toEqual({ totalCount: 4 });
  });

  test('the bounds follow their settings and cover every store: a Redis key over QUERY_MAX_ARGUMENT_CHARS', async () => {
    const strict = gatewayWith({ config: { ...run.config, maxArgumentChars: 8 } });
    const refused = await strict('{ latest(key: "123456789") { value } }');
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'latest', argument: 'key', issue: 'too_long', found: 9, limit: 8 });
    const answered = await strict('{ latest(key: "12345678") { value } }');
    expect(answered.errors).toBeUndefined();
    expect(answered.data).toEqual({ latest: null });
  });
});
