import { afterAll, describe, expect, test } from 'bun:test';
import { getIntrospectionQuery, parse } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { costError, OPEN_RANGE_DAYS, shapeOf } from './limits.ts';
import { resolvers } from './resolvers/index.ts';
import { typeDefs } from './schema/index.ts';
import { graphql } from './testing.ts';
import { createGateway } from './yoga.ts';

const schema = createSchema({ typeDefs, resolvers });
const cost = (query: string, variables?: Record<string, unknown>) => shapeOf(schema, parse(query), undefined, variables).cost;
const DAY = 86_400_000;
const at = (ms: number) => new Date(Date.UTC(2026, 2, 1) + ms).toISOString();
// GraphiQL asks for everything the schema can say about itself.
const GRAPHIQL = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true });
/** `count` fragments, each spreading the one before twice: `{ ok }` 2^(count - 1) times over, in a few hundred tokens. */
const doubling = (count: number) => {
  const fragments = ['fragment F0 on Query { ok }'];
  for (let i = 1; i < count; i++) fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return `query { ...F${count - 1} } ${fragments.join(' ')}`;
};
const nestedIntrospection = (levels: number) => {
  let inner = 'name';
  for (let i = 0; i < levels; i++) inner = `fields { name type { ofType { ${inner} } } }`;
  return `{ __schema { types { ${inner} } } }`;
};

describe('the cost of an operation is the backend work it asks for', () => {
  test.each([
    ['a plain field', '{ ok }', 1],
    ['__typename, like any field', '{ __typename ok }', 2],
    ['a page of events: its size times its fields, plus the open range', '{ events(first: 100) { nodes { id type } } }', 1 + OPEN_RANGE_DAYS + 100 * (1 + 2)],
    ['the default page of 20', '{ events { nodes { id } } }', 1 + OPEN_RANGE_DAYS + 20 * 2],
    ['a page over one day', `{ events(first: 50, filter: { from: "${at(0)}", to: "${at(DAY)}" }) { nodes { id } } }`, 1 + 1 + 50 * 2],
    ['an hour of minute buckets', `{ eventCounts(from: "${at(0)}", to: "${at(3_600_000)}", interval: MINUTE) { start count } }`, 1 + 1 + 60 * 2],
    ['10,000 minute buckets', `{ eventCounts(from: "${at(0)}", to: "${at(10_000 * 60_000)}") { start count } }`, 1 + 7 + 10_000 * 2],
    ['a count over a year: one per day', `{ countEvents(from: "${at(0)}", to: "${at(365 * DAY)}") }`, 1 + 365],
    ['a top list over all time', '{ topTypes(limit: 5) { value count } }', 1 + OPEN_RANGE_DAYS + 5 * 2],
    ['latest values: one per key', '{ latestValues(keys: ["a", "b", "c"]) { value } }', 1 + 3],
    ['liveStats: 60 seconds of series', '{ liveStats { total perSecond { at count } } }', 1 + 1 + 1 + 60 * 2],
    ['an hour of delivery: one per hour, its minutes times their fields', `{ delivery(from: "${at(0)}", to: "${at(3_600_000)}") { minutes { minute received } } }`, 1 + 1 + 1 + 60 * 2],
    ['a day of delivery totals: one per hour of range', `{ delivery(from: "${at(0)}", to: "${at(DAY)}") { totals { missing } } }`, 1 + 24 + 1 + 1],
    ['a dry run: per event given', 'mutation { dryRunPipeline(id: "p", events: [{}, {}]) { dropped output } }', 1 + 2 * 2],
  ])('%s', (_, query, expected) => {
    expect(cost(query)).toBe(expected);
  });

  test('sizes come from variables and schema defaults as they will execute', () => {
    expect(cost('query($n: Int) { events(first: $n) { nodes { id } } }', { n: 50 })).toBe(1 + OPEN_RANGE_DAYS + 50 * 2);
    const range = { from: at(0), to: at(2 * 3_600_000) };
    // interval defaults to MINUTE
    expect(cost('query($from: DateTime!, $to: DateTime!) { eventCounts(from: $from, to: $to) { count } }', range)).toBe(1 + 1 + 120);
  });

  test('fragments cost what they would inline, where they are spread', () => {
    const query = 'query { deadLetters { ...D } } fragment D on DeadLetterConnection { nodes { origin { topic } } }';
    expect(cost(query)).toBe(cost('{ deadLetters { nodes { origin { topic } } } }'));
  });

  test('fragments spread inside fragments cost what they would inline, however many times they double', () => {
    expect(cost(doubling(10))).toBe(cost(`{ ${'ok '.repeat(2 ** 9)}}`));
    expect(cost(doubling(40))).toBe(2 ** 39);
  });

  test('a fragment cycle (refused by validation before this runs) still ends, costing each fragment once', () => {
    expect(cost('query { ...A } fragment A on Query { ok ...B } fragment B on Query { ok ...A }')).toBe(2);
  });

  test("introspection is charged: GraphiQL's schema query fits the default limit, nesting it multiplies", () => {
    expect(cost(GRAPHIQL)).toBeGreaterThan(100);
    expect(cost(GRAPHIQL)).toBeLessThan(1000);
    expect(cost(nestedIntrospection(4))).toBeGreaterThan(3 * cost(nestedIntrospection(3)));
    expect(cost(nestedIntrospection(5))).toBeGreaterThan(1000);
  });

  test('the cost error names the measured cost and the limit', () => {
    expect(costError({ cost: 1001 }, { maxCost: 1000 })?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 1001, maxCost: 1000, limit: 1000 });
    expect(costError({ cost: 1000 }, { maxCost: 1000 })).toBeUndefined();
  });
});

describe('the gateway refuses abusive documents before validating them', () => {
  // Refused before any resolver runs, so these stores are never queried.
  const gateway = createGateway({ auth: { mode: 'off' }, dlq: false });
  afterAll(() => gateway.close());
  const ask = (query: string, variables?: Record<string, unknown>) => graphql(gateway.yoga.fetch, query, variables);

  test('a 1 MB document of repeated fields is too large: the parse stops at the token limit', async () => {
    // Unknown fields: were this document validated, the answer would be GRAPHQL_VALIDATION_FAILED instead.
    const document = `{ ${'nope '.repeat(200_000)}}`;
    expect(document.length).toBeGreaterThan(1_000_000);
    const answer = await ask(document);
    expect(answer.status).toBe(400);
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'query_too_large', limit: 2000 });
    expect(answer.errors?.[0]?.message).toContain('more than 2000 tokens');
  });

  test('too many aliases: too_many_aliases with the count, before validation', async () => {
    const answer = await ask(`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: nope`).join(' ')} }`);
    expect(answer.status).toBe(400);
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'too_many_aliases', limit: 15, found: 16 });
    expect(answer.errors?.[0]?.message).not.toContain('Syntax Error');
  });

  test('fifteen aliases are fine', async () => {
    const answer = await ask(`{ ${Array.from({ length: 15 }, (_, i) => `a${i}: ok`).join(' ')} }`);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.['a14']).toBe(true);
  });

  test('too many directives: too_many_directives with the count, before validation', async () => {
    const answer = await ask(`{ ok ${'@nope '.repeat(11)}}`);
    expect(answer.status).toBe(400);
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'too_many_directives', limit: 10, found: 11 });
  });

  test('too deep: QUERY_TOO_DEEP, __type introspection included', async () => {
    const answer = await ask('{ __type(name: "Query") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }');
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_DEEP', depth: 11, maxDepth: 10, limit: 10 });
  });

  test("GraphiQL's introspection query is answered", async () => {
    const answer = await ask(GRAPHIQL);
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.['__schema'].types.length).toBeGreaterThan(10);
  });

  test('an introspection query asking for the schema three times over is refused by cost', async () => {
    const operation = GRAPHIQL.slice(0, GRAPHIQL.indexOf('fragment'));
    const schemaField = operation.slice(operation.indexOf('__schema'), operation.lastIndexOf('}'));
    const answer = await ask(`{ a: ${schemaField} b: ${schemaField} c: ${schemaField} } ${GRAPHIQL.slice(GRAPHIQL.indexOf('fragment'))}`);
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', maxCost: 1000 });
    expect(Number(answer.errors?.[0]?.extensions?.['cost'])).toBe(3 * cost(GRAPHIQL));
  });

  test('forty fragments that each spread the one before twice are refused by cost, not expanded', async () => {
    const answer = await ask(doubling(40));
    expect(answer.status).toBe(400);
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 2 ** 39, maxCost: 1000 });
  });

  test('fragments spreading each other in a cycle are GRAPHQL_VALIDATION_FAILED', async () => {
    const answer = await ask('query { ...A } fragment A on Query { ok ...B } fragment B on Query { ok ...A }');
    expect(answer.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(answer.errors?.[0]?.message).toContain('Cannot spread fragment "A" within itself');
  });

  test('an eventCounts of 10,000 buckets is refused by cost before the search node is asked', async () => {
    const answer = await ask(`{ eventCounts(from: "${at(0)}", to: "${at(10_000 * 60_000)}", interval: MINUTE) { start count } }`);
    expect(answer.status).toBe(400);
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 1 + 7 + 10_000 * 2 });
  });

  test('too costly: counting aliases and variables', async () => {
    const page = 'nodes { id type source data }';
    const answer = await ask(`query($n: Int) { a: events(first: $n) { ${page} } b: events(first: $n) { ${page} } }`, { n: 100 });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 2 * (1 + OPEN_RANGE_DAYS + 100 * 5), maxCost: 1000 });
    expect(answer.errors?.[0]?.extensions).not.toHaveProperty('http');
  });

  test('a page larger than QUERY_MAX_FIRST is BAD_USER_INPUT naming the argument', async () => {
    const answer = await ask('{ events(first: 500) { totalCount } }');
    expect(answer.data).toEqual({ events: null });
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
  });

  test('each refusal is counted by its code', async () => {
    await ask(`{ ${Array.from({ length: 16 }, (_, i) => `a${i}: ok`).join(' ')} }`);
    const text = gateway.metrics.registry.render();
    expect(text).toMatch(/query_graphql_operations_total\{operation="any",outcome="too_many_aliases"\} [1-9]/);
    expect(text).toMatch(/outcome="query_too_large"\} [1-9]/);
  });
});

describe('the limits follow their settings', () => {
  test('a lower QUERY_MAX_DEPTH refuses a query of ordinary fields', async () => {
    const strict = createGateway({ config: { maxDepth: 4 }, auth: { mode: 'off' }, dlq: false });
    try {
      const answer = await graphql(strict.yoga.fetch, '{ deadLetters { edges { node { origin { topic } } } } }');
      expect(answer.status).toBe(400);
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors?.[0]?.message).toContain('depth limit of 4 exceeded, found 5');
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_DEEP', depth: 5, maxDepth: 4 });
    } finally {
      await strict.close();
    }
  });

  test('a subscription over the cost limit is refused the same way', async () => {
    const strict = createGateway({ config: { maxCost: 3 }, auth: { mode: 'off' }, dlq: false });
    try {
      const answer = await graphql(strict.yoga.fetch, 'subscription { liveStats { byType { value } bySource { value } perSecond { at } } }');
      expect(answer.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    } finally {
      await strict.close();
    }
  });
});
