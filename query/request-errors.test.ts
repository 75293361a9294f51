import { afterAll, describe, expect, test } from 'bun:test';
import { createGateway } from './yoga.ts';

// Every answer here is refused before a resolver runs, so no store is asked and no key is needed to reach it.
const gateway = createGateway({ auth: { mode: 'off' }, dlq: false });
afterAll(() => gateway.close());

interface Answer {
  readonly status: number;
  readonly errors: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

async function send(init: RequestInit & { readonly search?: string }): Promise<Answer> {
  const headers = { accept: 'application/json', ...(init.method === 'POST' && { 'content-type': 'application/json' }) };
  const response = await gateway.yoga.fetch(new Request(`http://gateway.test/graphql${init.search ?? ''}`, { headers, ...init }));
  return { status: response.status, errors: ((await response.json()) as Omit<Answer, 'status'>).errors };
}
const post = (body: string) => send({ method: 'POST', body });
const get = (params: Record<string, string>) => send({ method: 'GET', search: `?${new URLSearchParams(params)}` });
const PAGE = 'query($n: Int!) { events(first: $n) { totalCount } }';

describe('every refused request carries a code a client can branch on', () => {
  test('a variable of the wrong type is 400 BAD_USER_INPUT', async () => {
    const answer = await post(JSON.stringify({ query: PAGE, variables: { n: 'ten' } }));
    expect(answer.status).toBe(400);
    expect(answer.errors[0]?.message).toContain('Variable "$n" got invalid value "ten"');
    expect(answer.errors[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  test('a required variable left out is 400 BAD_USER_INPUT', async () => {
    const answer = await post(JSON.stringify({ query: PAGE }));
    expect(answer.status).toBe(400);
    expect(answer.errors[0]?.message).toContain('"$n" of required type "Int!" was not provided');
    expect(answer.errors[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  test('a GET whose variables are not JSON is 400 BAD_REQUEST, not an unexpected error', async () => {
    const answer = await get({ query: PAGE, variables: '{"n": 1' });
    expect(answer.status).toBe(400);
    expect(answer.errors).toEqual([{ message: 'The variables or extensions parameter is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }]);
  });

  test('a body that is not JSON is 400 BAD_REQUEST', async () => {
    const answer = await post('{"query": ');
    expect(answer.status).toBe(400);
    expect(answer.errors[0]?.extensions?.['code']).toBe('BAD_REQUEST');
  });

  test('a body without a query is BAD_REQUEST', async () => {
    const answer = await post('{}');
    expect(answer.errors[0]?.message).toBe('Must provide query string.');
    expect(answer.errors[0]?.extensions?.['code']).toBe('BAD_REQUEST');
  });

  test('a mutation over GET is 405 BAD_REQUEST', async () => {
    const answer = await get({ query: 'mutation { deletePipeline(id: "p") }' });
    expect(answer.status).toBe(405);
    expect(answer.errors[0]?.extensions?.['code']).toBe('BAD_REQUEST');
  });

  test('a document that does not parse is GRAPHQL_PARSE_FAILED, one that does not validate GRAPHQL_VALIDATION_FAILED', async () => {
    expect((await post(JSON.stringify({ query: '{ ok ' }))).errors[0]?.extensions?.['code']).toBe('GRAPHQL_PARSE_FAILED');
    expect((await post(JSON.stringify({ query: '{ nope }' }))).errors[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
