import { afterAll, describe, expect, test } from 'bun:test';
import { createQueryApp } from './app.ts';
import { serveQuery } from './server.ts';

// Over real HTTP: the limit is the server's (server.ts), before the gateway reads anything. The body is refused
// whatever the key, so these run without keys.
const app = createQueryApp({ auth: { mode: 'off' }, dlq: false });
const server = serveQuery({ app, port: 0, hostname: '127.0.0.1' });
afterAll(async () => {
  await server.stop(true);
  await app.close();
});

const LIMIT = app.gateway.config.maxBodyBytes;
const base = `http://127.0.0.1:${server.port}`;
const json = { 'content-type': 'application/json', accept: 'application/json' };
/** `{ ok }` padded with spaces (still valid JSON) to exactly `bytes`. */
const padded = (bytes: number) => {
  const body = JSON.stringify({ query: '{ ok }' });
  return body.slice(0, -1) + ' '.repeat(bytes - body.length) + '}';
};
/** The same bytes sent without a Content-Length (chunked), 64 KiB at a time. */
const chunked = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 65_536) controller.enqueue(bytes.subarray(i, i + 65_536));
      controller.close();
    },
  });
};
const post = (path: string, body: BodyInit) => fetch(`${base}${path}`, { method: 'POST', headers: json, body, duplex: 'half' } as RequestInit);

describe('a request body over QUERY_MAX_BODY_BYTES is refused with a code', () => {
  test('one byte over the limit is 413 body_too_large with the limit, as a GraphQL error', async () => {
    const response = await post('/graphql', padded(LIMIT + 1));
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = await response.json();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions).toEqual({ code: 'body_too_large', limit_bytes: LIMIT });
    expect(body.errors[0].message).toContain(`larger than ${LIMIT} bytes`);
  });

  test('a body at the limit is answered', async () => {
    const response = await post('/graphql', padded(LIMIT));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { ok: true } });
  });

  test('a body several times the limit gets the same JSON answer, not an empty one', async () => {
    const response = await post('/graphql', padded(3 * LIMIT));
    expect(response.status).toBe(413);
    expect((await response.json()).errors[0].extensions.code).toBe('body_too_large');
  });

  test('a chunked body (no Content-Length) is counted while it is read: over the limit is 413 body_too_large', async () => {
    const response = await post('/graphql', chunked(padded(LIMIT + 1)));
    expect(response.status).toBe(413);
    expect((await response.json()).errors[0].extensions).toEqual({ code: 'body_too_large', limit_bytes: LIMIT });
  });

  test('a chunked body within the limit is answered', async () => {
    const response = await post('/graphql', chunked(padded(200_000)));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { ok: true } });
  });

  test('a REST route answers in its own error shape with the same code', async () => {
    const response = await post('/api/pipelines', padded(LIMIT + 1));
    expect(response.status).toBe(413);
    expect((await response.json()).error).toMatchObject({ code: 'body_too_large', limit_bytes: LIMIT });
  });
});
