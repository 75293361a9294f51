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
    close: () => reader.cancel(),
  };
}

async function subscribe(gateway: Gateway, clientAddress: string, query = LIVE): Promise<Stream> {
  const request = new Request('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query }),
  });
  return reading(await gateway.yoga.fetch(request, { clientAddress }));
}

describe('concurrent subscriptions are capped per client and in total', () => {
  let gateway: Gateway;
  const open: Stream[] = [];
  beforeAll(() => {
    gateway = createGateway({ config: { ...run.config, maxSubscriptionsPerClient: 2, maxSubscriptions: 3 }, dlq: false });
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
    expect(gateway.subscriptions.open('10.0.0.1')).toBe(2);

    const third = await subscribe(gateway, '10.0.0.1');
    expect(third.status).toBe(429);
    expect((await third.next()).errors?.[0]?.extensions).toMatchObject({ code: 'too_many_subscriptions', limit: 2, scope: 'client' });
    expect(gateway.subscriptions.open('10.0.0.1')).toBe(2);
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
    expect(gateway.subscriptions.open('10.0.0.9')).toBe(0);
  });
});

describe('subscription ticks', () => {
  test('read liveStats through the shared cache, like the query', async () => {
    const gateway = createGateway({ config: { ...run.config, cacheTtlMs: 60_000 }, dlq: false });
    try {
      expect(gateway.cache.size).toBe(0);
      const stream = await subscribe(gateway, '10.0.0.1');
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
    app = createQueryApp({ config: { ...run.config, idleTimeoutSeconds: 1, maxSubscriptionsPerClient: 2 }, dlq: false });
    server = serveQuery({ app, port: 0, hostname: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.stop(true);
    await app.close();
  });
  const listen = async (intervalMs: number, signal?: AbortSignal) => {
    const query = encodeURIComponent(`subscription { liveStats(intervalMs: ${intervalMs}) { total } }`);
    return reading(await fetch(`http://127.0.0.1:${server.port}/graphql?query=${query}`, { headers: { accept: 'text/event-stream' }, signal }));
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

  test('the client is its address, and a client that hangs up frees its slot', async () => {
    await eventually(() => app.gateway.subscriptions.open() === 0, 'earlier streams to end');
    const leaving = new AbortController();
    const first = await listen(60_000, leaving.signal);
    const second = await listen(60_000);
    try {
      await Promise.all([first.next(), second.next()]);
      expect(app.gateway.subscriptions.open('127.0.0.1')).toBe(2);
      const refused = await listen(60_000);
      expect(refused.status).toBe(429);
      expect((await refused.next()).errors?.[0]?.extensions).toMatchObject({ code: 'too_many_subscriptions', scope: 'client' });

      leaving.abort();
      await eventually(() => app.gateway.subscriptions.open('127.0.0.1') === 1, 'the slot of the stream that hung up');
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
