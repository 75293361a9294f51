import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { seedEvents, seedStart } from './fixtures.ts';
import { createRun, eventually, graphql } from './testing.ts';
import { createGateway, type Gateway } from './yoga.ts';

// Redis counters and the dead-letter topic, seeded through the real sinks and the workers' DLQ record format.
const run = createRun();
const events = seedEvents(seedStart());
let gateway: Gateway;
const ask = (query: string, variables?: Record<string, unknown>) => graphql(run.as('read', gateway.yoga.fetch), query, variables);

beforeAll(async () => {
  await run.write(events);
  await run.deadLetter([
    { event: events[1]!, stage: 'elasticsearch', reason: 'mapping_conflict', detail: 'data.amount: long expected' },
    { event: events[12]!, stage: 'validate', reason: 'invalid_value', detail: 'data.value' },
    { event: '{not json', stage: 'decode', reason: 'invalid_json' },
  ]);
  gateway = createGateway({ config: run.config, auth: run.auth });
  await eventually(() => (gateway.dlq?.consumed() ?? 0) >= 3, 'the dead-letter reader to catch up');
});
afterAll(async () => {
  await gateway?.close();
  await run.cleanup();
});

describe('Redis: live statistics, latest values, recent events', () => {
  test('liveStats shows the totals, per type and source, rate and latency', async () => {
    const { data, errors } = await ask(`{ liveStats {
      at total eventsPerSecond byType { value count } bySource { value count }
      perSecond { at count } perMinute { count } latency { count p50Ms p95Ms p99Ms }
    } }`);
    expect(errors).toBeUndefined();
    const live = data?.liveStats;
    expect(live.total).toBe(20);
    expect(live.byType).toEqual([
      { value: 'order.created', count: 10 },
      { value: 'sensor.reading', count: 6 },
      { value: 'user.signup', count: 4 },
    ]);
    expect(live.bySource).toContainEqual({ value: 'web', count: 4 });
    expect(live.perSecond).toHaveLength(60);
    expect(live.perMinute.reduce((sum: number, m: { count: number }) => sum + m.count, 0)).toBe(20);
    expect(live.eventsPerSecond).toBeGreaterThanOrEqual(0);
    expect(live.latency.count).toBe(20);
    expect(live.latency.p50Ms).toBeGreaterThan(0);
  });

  test('latest(key) is the newest reading by timestamp; unknown keys are null', async () => {
    const { data } = await ask('{ latest(key: "s-1") { key value unit timestamp eventId } latestValues(keys: ["s-0", "none"]) { key value } }');
    expect(data?.latest).toEqual({ key: 's-1', value: 25, unit: 'C', timestamp: events[15]!.timestamp, eventId: 'reading-5' });
    expect(data?.latestValues).toEqual([{ key: 's-0', value: 24 }, null]);
  });

  test('recentEvents lists the newest writes, with the whole event looked up by id', async () => {
    const { data } = await ask('{ recentEvents(limit: 3) { id type key event { id data } } }');
    expect(data?.recentEvents.map((e: { id: string }) => e.id)).toEqual(['signup-3', 'signup-2', 'signup-1']);
    expect(data?.recentEvents[0].event).toEqual({ id: 'signup-3', data: events[19]!.data });
  });
});

describe('liveStats when clients invent more types and sources than the sink keeps', () => {
  test('the rest is one (other) entry, listed last, and the counts still add up to the total', async () => {
    // The run's events again, under a prefix of their own, through a sink that keeps two types and two sources.
    const prefix = `${run.redisPrefix}capped:`;
    const cappedSink = { SINK_REDIS_KEY_PREFIX: prefix, SINK_REDIS_MAX_TYPES: '2', SINK_REDIS_MAX_SOURCES: '2' };
    const capped = createGateway({ config: { ...run.config, redisPrefix: prefix }, auth: run.auth, dlq: false });
    try {
      // The two smaller types (and their sources) fill the caps first, so the ten orders are what is left over.
      const orders = events.filter((e) => e.type === 'order.created');
      for (const part of [events.filter((e) => e.type !== 'order.created'), orders]) await run.write(part, ['redis'], cappedSink);
      const { data, errors } = await graphql(run.as('read', capped.yoga.fetch), '{ liveStats { total byType { value count } bySource { value count } } }');
      expect(errors).toBeUndefined();
      expect(data?.liveStats).toEqual({
        total: 20,
        byType: [{ value: 'sensor.reading', count: 6 }, { value: 'user.signup', count: 4 }, { value: '(other)', count: 10 }],
        bySource: [{ value: 'sensors', count: 6 }, { value: 'web', count: 4 }, { value: '(other)', count: 10 }],
      });
    } finally {
      await capped.close();
    }
  });
});

describe('deadLetters', () => {
  test('shows what the dead-letter topic received, newest first, with stage, reason and the parsed event', async () => {
    const { data, errors } = await ask('{ deadLetters { totalCount buffered nodes { stage reason message attempts eventId eventType key origin { topic } payload event } } }');
    expect(errors).toBeUndefined();
    const letters = data?.deadLetters;
    expect(letters.totalCount).toBe(3);
    expect(letters.nodes.map((d: { reason: string }) => d.reason)).toEqual(['invalid_json', 'invalid_value', 'mapping_conflict']);
    expect(letters.nodes[0]).toMatchObject({ stage: 'decode', eventId: null, eventType: null, payload: '{not json', event: null });
    expect(letters.nodes[2]).toMatchObject({
      stage: 'elasticsearch',
      message: 'data.amount: long expected',
      attempts: 1,
      eventId: 'order-01',
      eventType: 'order.created',
      key: 'o-1',
      origin: { topic: 'events' },
      event: events[1],
    });
  });

  test('filters by stage, reason and event type, and pages with a cursor', async () => {
    const byStage = await ask('{ deadLetters(filter: { stage: "validate" }) { totalCount nodes { reason } } }');
    expect(byStage.data?.deadLetters).toEqual({ totalCount: 1, nodes: [{ reason: 'invalid_value' }] });
    const byType = await ask('{ deadLetters(filter: { eventType: "order.created" }) { totalCount } }');
    expect(byType.data?.deadLetters.totalCount).toBe(1);
    const first = await ask('{ deadLetters(first: 2) { pageInfo { hasNextPage endCursor } nodes { reason } } }');
    expect(first.data?.deadLetters.pageInfo.hasNextPage).toBe(true);
    const next = await ask('query($a: String) { deadLetters(first: 2, after: $a) { pageInfo { hasNextPage } nodes { reason } } }', {
      a: first.data?.deadLetters.pageInfo.endCursor,
    });
    expect(next.data?.deadLetters).toEqual({ pageInfo: { hasNextPage: false }, nodes: [{ reason: 'mapping_conflict' }] });
  });
});

describe('Subscription.liveStats over Server-Sent Events', () => {
  test('streams liveStats messages read from Redis', async () => {
    const controller = new AbortController();
    const response = await run.as('read', gateway.yoga.fetch)(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query: 'subscription { liveStats(intervalMs: 250) { total byType { value count } } }' }),
        signal: controller.signal,
      }),
    );
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const messages: unknown[] = [];
    let buffer = '';
    while (messages.length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((line) => line.startsWith('data:'));
        if (data && data.length > 5) messages.push(JSON.parse(data.slice(5)));
      }
    }
    controller.abort();
    await reader.cancel().catch(() => undefined);
    expect(messages).toHaveLength(2);
    for (const message of messages) expect(message).toMatchObject({ data: { liveStats: { total: 20 } } });
  });
});
