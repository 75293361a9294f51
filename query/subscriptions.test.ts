import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Server } from 'bun';
import { createQueryApp, type QueryApp } from './app.ts';
import { serveQuery } from './server.ts';
import { createRun, eventually } from './testing.ts';
import { createGateway, type Gateway } from './yoga.ts';

// Real Redis under this run's own prefix (testing.ts); the ticks read liveStats from it.
const run = createRun();
afterAll(() => run.cleanup());

const LIVE = 'subscription { liveStats(intervalMs: 60000) { total } }';

interface Stream {
  readonly status: number;
  /** The next `event: next` payload, parsed. */
  next(): Promise<{ data?: unknown; errors?: Array<{ extensions?: Record<string, unknown> }> }>;
  /** Everything left of the body, as text (an answer that is not an event stream). */
  rest(): Promise<string>;
  close(): Promise<void>;
}

function reading(response: Response): Stream {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    status: response.status,
    async next() {
      for (;;) {
        const match = /event: next\ndata: (.*)\n\n/.exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          return JSON.parse(match[1]!);
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended; it held ${JSON.stringify(buffer)}`);
        buffer += decoder.decode(value, { stream: true });
      }
    },
    async rest() {
      for (let r = await reader.read(); !r.done; r = await reader.read()) buffer += decoder.decode(r.value, { stream: true });
      return buffer;
    },
    close: () => reader.cancel(),
  };
}

async function subscribe(gateway: Gateway, clientAddress: string, query = LIVE, key?: string): Promise<Stream> {
  const request = new Request('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(key && { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query }),
  });
  return reading(await gateway.yoga.fetch(request, { clientAddress }));
}

/** The id `open()` counts a key's subscriptions under (see clientOf). */
async function clientOfKey(gateway: Gateway, name: string): Promise<string> {
  const key = (await gateway.keys.list()).find((k) => k.name === name);
  return `key:${key!.id}`;
}

describe('without keys (AUTH=off), concurrent subscriptions are capped per address and in total', () => {
  let gateway: Gateway;
  const open: Stream[] = [];
  beforeAll(() => {
    gateway = createGateway({ config: { ...run.config, maxSubscriptionsPerClient: 2, maxSubscriptions: 3 }, auth: { mode: 'off' }, dlq: false });
  });
  afterAll(async () => {
    void Promise.allSettled(open.map((stream) => stream.close()));
    await gateway.close();
  });
  const keep = (stream: Stream) => (open.push(stream), stream);

  test('one subscription more than a client may hold is refused with too_many_subscriptions', async () => {
    const first = keep(await subscribe(gateway, '10.0.0.1'));
    const second = keep(await subscribe(gateway, '10.0.0.1'));
    expect([first.status, second.status]).toEqual([200, 200]);
    expect((await first.next()).data).toEqual({ liveStats: { total: 0 } });
    expect(gateway.subscriptions.open('address:10.0.0.1')).toBe(2);

    const third = await subscribe(gateway, '10.0.0.1');
    expect(third.status).toBe(429);
    expect((await third.next()).errors?.[0]?.extensions).toMatchObject({ code: 'too_many_subscriptions', limit: 2, scope: 'client' });
    expect(gateway.subscriptions.open('address:10.0.0.1')).toBe(2);
  });

  test('another client still gets one until the gateway-wide cap is reached', async () => {
    const other = keep(await subscribe(gateway, '10.0.0.2'));
    expect(other.status).toBe(200);
    expect(gateway.subscriptions.open()).toBe(3);
    const refused = await subscribe(gateway, '10.0.0.3');
    expect(refused.status).toBe(429);
    expect((await refused.next()).errors?.[0]?.extensions).toMatchObject({ code: 'too_many_subscriptions', limit: 3, scope: 'total' });
  });

  test('a subscription that fails before streaming holds no slot', async () => {
    const bad = await subscribe(gateway, '10.0.0.9', 'subscription { liveStats(intervalMs: 1.5) { total } }');
    expect((await bad.next()).errors).toBeDefined();
    expect(gateway.subscriptions.open('address:10.0.0.9')).toBe(0);
  });
});

describe('with keys, a client is its key', () => {
  test('connections with one key share its slots from any address; another key has its own', async () => {
    const gateway = createGateway({ config: { ...run.config, maxSubscriptionsPerClient: 2, maxSubscriptions: 10 }, auth: run.auth, dlq: false });
    const { read, admin } = await run.keys();
    const streams: Stream[] = [];
    try {
      streams.push(await subscribe(gateway, '10.1.0.1', LIVE, read), await subscribe(gateway, '10.1.0.2', LIVE, read));
      expect(streams.map((s) => s.status)).toEqual([200, 200]);
      await Promise.all(streams.map((s) => s.next()));
      const readClient = await clientOfKey(gateway, 'test-read');
      expect(gateway.subscriptions.open(readClient)).toBe(2);
      expect(gateway.subscriptions.open('address:10.1.0.1')).toBe(0);

      const third = await subscribe(gateway, '10.1.0.3', LIVE, read);
      expect(third.status).toBe(429);
      expect((await third.next()).errors?.[0]?.extensions).toMatchObject({ code: 'too_many_subscriptions', limit: 2, scope: 'client' });

      const other = await subscribe(gateway, '10.1.0.1', LIVE, admin);
      streams.push(other);
      expect(other.status).toBe(200);
      expect(gateway.subscriptions.open(await clientOfKey(gateway, 'test-admin'))).toBe(1);
    } finally {
      void Promise.allSettled(streams.map((stream) => stream.close()));
      await gateway.close();
    }
  });

  test('a subscription refused for its key holds no slot: an ingest key gets a 403 before any stream opens', async () => {
    const gateway = createGateway({ config: run.config, auth: run.auth, dlq: false });
    try {
      const refused = await subscribe(gateway, '10.1.0.9', LIVE, (await run.keys()).ingest);
      expect(refused.status).toBe(403);
      const answer = JSON.parse(await refused.rest()) as { errors: Array<{ extensions: Record<string, unknown> }> };
      expect(answer.errors[0]?.extensions).toMatchObject({ code: 'insufficient_scope', scope: 'read' });
      expect(gateway.subscriptions.open()).toBe(0);
    } finally {
      await gateway.close();
    }
  });
});

describe('subscription ticks', () => {
  test('read liveStats through the shared cache, like the query', async () => {
    const gateway = createGateway({ config: { ...run.config, cacheTtlMs: 60_000 }, auth: run.auth, dlq: false });
    try {
      expect(gateway.cache.size).toBe(0);
      const stream = await subscribe(gateway, '10.0.0.1', LIVE, (await run.keys()).read);
      expect((await stream.next()).data).toEqual({ liveStats: { total: 0 } });
      expect(gateway.cache.size).toBe(1);
      void stream.close();
    } finally {
      await gateway.close();
    }
  });
});

describe('over HTTP (bun query/server.ts)', () => {
  let app: QueryApp;
  let server: Server<undefined>;
  beforeAll(() => {
    app = createQueryApp({ config: { ...run.config, idleTimeoutSeconds: 1, maxSubscriptionsPerClient: 2 }, auth: run.auth, dlq: false });
    server = serveQuery({ app, port: 0, hostname: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.stop(true);
    await app.close();
  });
  const listen = async (intervalMs: number, signal?: AbortSignal) => {
    const query = encodeURIComponent(`subscription { liveStats(intervalMs: ${intervalMs}) { total } }`);
    const { read } = await run.keys();
    return reading(await fetch(`http://127.0.0.1:${server.port}/graphql?query=${query}`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${read}` }, signal }));
  };

  test('a subscription stream outlives the idle timeout', async () => {
    const stream = await listen(10_000);
    try {
      expect(stream.status).toBe(200);
      await stream.next();
      // 10 s of silence, well over the 1 s idle timeout (which Bun checks every few seconds): a stream that was not
      // exempt would end here.
      expect((await stream.next()).data).toEqual({ liveStats: { total: 0 } });
    } finally {
      await stream.close();
    }
  });

  test('the client is its key, and a client that hangs up frees its slot', async () => {
    await eventually(() => app.gateway.subscriptions.open() === 0, 'earlier streams to end');
    const leaving = new AbortController();
    const first = await listen(60_000, leaving.signal);
    const second = await listen(60_000);
    try {
      await Promise.all([first.next(), second.next()]);
      const client = await clientOfKey(app.gateway, 'test-read');
      expect(app.gateway.subscriptions.open(client)).toBe(2);
      const refused = await listen(60_000);
      expect(refused.status).toBe(429);
      expect((await refused.next()).errors?.[0]?.extensions).toMatchObject({ code: 'too_many_subscriptions', scope: 'client' });

      leaving.abort();
      await eventually(() => app.gateway.subscriptions.open(client) === 1, 'the slot of the stream that hung up');
      const again = await listen(60_000);
      expect(again.status).toBe(200);
      expect((await again.next()).data).toEqual({ liveStats: { total: 0 } });
      void again.close();
    } finally {
      void second.close();
    }
  });

  test('an idle connection is closed', async () => {
    const closed = Promise.withResolvers<void>();
    const socket = await Bun.connect({
      hostname: '127.0.0.1',
      port: server.port!,
      socket: { data() {}, close: () => closed.resolve(), error: () => closed.resolve() },
    });
    // Half a request, then nothing: with no idle timeout the server would wait for the rest forever.
    socket.write('GET /healthz HTTP/1.1\r\nhost: gateway.test\r\n');
    await closed.promise;
    expect(socket.readyState).not.toBe(1);
  });
});
