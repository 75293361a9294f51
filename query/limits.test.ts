import { afterAll, describe, expect, test } from 'bun:test';
import { parse } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { limitError, shapeOf } from './limits.ts';
import { resolvers } from './resolvers/index.ts';
import { typeDefs } from './schema/index.ts';
import { graphql } from './testing.ts';
import { createGateway } from './yoga.ts';

const schema = createSchema({ typeDefs, resolvers });
const shape = (query: string, variables?: Record<string, unknown>) => shapeOf(schema, parse(query), undefined, variables);

describe('query depth and cost', () => {
  test('depth counts nested field selections; a root field is 1', () => {
    expect(shape('{ ok }').depth).toBe(1);
    expect(shape('{ deadLetters { edges { node { origin { topic } } } } }').depth).toBe(5);
  });

  test('fragments count where they are spread, and introspection is free', () => {
    const query = 'query { deadLetters { ...D } } fragment D on DeadLetterConnection { nodes { origin { topic } } }';
    expect(shape(query)).toEqual(shape('{ deadLetters { nodes { origin { topic } } } }'));
    expect(shape('{ __schema { types { fields { type { ofType { ofType { name } } } } } } }')).toEqual({ depth: 0, cost: 0 });
  });

  test('cost multiplies nested fields by the page sizes around them, from literals, variables and defaults', () => {
    expect(shape('{ events(first: 100) { nodes { id type } } }').cost).toBe(1 + 100 * (1 + 2));
    expect(shape('query($n: Int) { events(first: $n) { nodes { id } } }', { n: 50 }).cost).toBe(1 + 50 * 2);
    // first defaults to 20 in the schema
    expect(shape('{ events { nodes { id } } }').cost).toBe(1 + 20 * 2);
    expect(shape('{ latestValues(keys: ["a", "b", "c"]) { value } }').cost).toBe(1 + 3);
  });

  test('the errors name the limit, the measured value and a code', () => {
    expect(limitError({ depth: 9, cost: 1 }, { maxDepth: 8, maxCost: 1000 })?.extensions).toMatchObject({ code: 'QUERY_TOO_DEEP', depth: 9, maxDepth: 8 });
    expect(limitError({ depth: 2, cost: 1001 }, { maxDepth: 8, maxCost: 1000 })?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 1001 });
    expect(limitError({ depth: 8, cost: 1000 }, { maxDepth: 8, maxCost: 1000 })).toBeUndefined();
  });
});

describe('the gateway refuses abusive operations before running them', () => {
  // The limits are checked before any resolver runs, so these stores are never queried.
  const gateway = createGateway({ config: { maxDepth: 4 }, dlq: false });
  afterAll(() => gateway.close());
  const ask = (query: string, variables?: Record<string, unknown>) => graphql(gateway.yoga.fetch, query, variables);

  test('too deep: 400 with QUERY_TOO_DEEP and no data', async () => {
    const answer = await ask('{ deadLetters { edges { node { origin { topic } } } } }');
    expect(answer.status).toBe(400);
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0]?.message).toContain('too deep: depth 5 exceeds the limit of 4');
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_DEEP', depth: 5, maxDepth: 4 });
    expect(answer.errors?.[0]?.extensions).not.toHaveProperty('http');
  });

  test('too costly: 400 with QUERY_TOO_COSTLY, counting aliases and variables', async () => {
    const page = 'nodes { id type source data }';
    const answer = await ask(`query($n: Int) { a: events(first: $n) { ${page} } b: events(first: $n) { ${page} } c: events(first: $n) { ${page} } }`, { n: 100 });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 3 * (1 + 100 * 5), maxCost: 1000 });
  });

  test('a subscription over the limits is refused the same way', async () => {
    const query = 'subscription { liveStats { byType { value } bySource { value } perSecond { at } } }';
    const strict = createGateway({ config: { maxCost: 3 }, dlq: false });
    try {
      const answer = await graphql(strict.yoga.fetch, query);
      expect(answer.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    } finally {
      await strict.close();
    }
  });

  test('a page larger than QUERY_MAX_FIRST is BAD_USER_INPUT naming the argument', async () => {
    const answer = await ask('{ events(first: 500) { totalCount } }');
    expect(answer.data).toEqual({ events: null });
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
  });

  test('GraphiQL introspection is never refused', async () => {
    const answer = await ask('{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }');
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
  });
});
