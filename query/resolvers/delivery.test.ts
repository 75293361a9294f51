import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { StampedEvent } from '../../shared/contracts/index.ts';
import { eventMessage } from '../../shared/contracts/record.ts';
import { createProducer } from '../../shared/kafka/index.ts';
import { topicFixture } from '../../shared/kafka/testing.ts';
import { connections, createRun, graphql } from '../testing.ts';
import { createGateway, type Gateway } from '../yoga.ts';

// The run's own stores and topic. Three minutes, half an hour ago: minute 0 receives 3 events and every store holds
// them; minute 1 receives 2 and the stores hold one of them; minute 2 receives nothing.
const run = createRun();
const topics = topicFixture();
const MINUTE = 60_000;
const start = Math.floor((Date.now() - 30 * MINUTE) / MINUTE) * MINUTE;
const at = (ms: number) => new Date(start + ms).toISOString();
const event = (id: string, receivedMs: number, source = 'sensor-hub'): StampedEvent => ({
  id, type: 'sensor.reading', source, key: `k-${id}`, timestamp: at(receivedMs - 500), receivedAt: at(receivedMs), data: { value: 1 },
});
const received = [event('d-0', 1_000), event('d-1', 20_000), event('d-2', 59_000, 'gateway-b'), event('d-3', MINUTE + 5_000), event('d-4', MINUTE + 30_000)];
const stored = received.filter((e) => e.id !== 'd-4');
const gateways: Gateway[] = [];
let topic: string;

function gatewayWith(options: Omit<Parameters<typeof createGateway>[0] & object, 'auth' | 'dlq'> = {}): Gateway {
  const gateway = createGateway({ ...options, config: { ...run.config, workersTopic: topic, storeTimeoutMs: 2_000, ...options.config }, auth: run.auth, dlq: false });
  gateways.push(gateway);
  return gateway;
}

const DELIVERY = `query ($from: DateTime!, $to: DateTime!, $source: String) { delivery(from: $from, to: $to, source: $source) {
  from to source
  minutes { minute received stored { elasticsearch postgres redis } deadLettered missing }
  totals { received stored { elasticsearch postgres redis } deadLettered missing }
} }`;

beforeAll(async () => {
  topic = await topics.create(2, 'query-delivery');
  const producer = createProducer({ brokers: connections.kafkaBrokers });
  try {
    await Promise.all(received.map((e, i) => producer.produce({ ...eventMessage(topic, e), partition: i % 2 })));
  } finally {
    await producer.close();
  }
  await run.write(stored);
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await topics.cleanup();
  await run.cleanup();
});

describe('the delivery field', () => {
  test('shows per minute what Kafka received, what each store holds and what is missing', async () => {
    const gateway = gatewayWith();
    const { data, errors } = await graphql(run.as('read', gateway.yoga.fetch), DELIVERY, { from: at(0), to: at(3 * MINUTE) });
    expect(errors).toBeUndefined();
    const all = (n: number) => ({ elasticsearch: n, postgres: n, redis: n });
    expect(data!.delivery).toEqual({
      from: at(0),
      to: at(3 * MINUTE),
      source: null,
      minutes: [
        { minute: at(0), received: 3, stored: all(3), deadLettered: 0, missing: 0 },
        { minute: at(MINUTE), received: 2, stored: all(1), deadLettered: 0, missing: 1 },
        { minute: at(2 * MINUTE), received: 0, stored: all(0), deadLettered: 0, missing: 0 },
      ],
      totals: { received: 5, stored: all(4), deadLettered: 0, missing: 1 },
    });
  });

  test('with a source, received is the search node count of that source and Redis and dead letters are not known', async () => {
    const gateway = gatewayWith();
    const { data, errors } = await graphql(run.as('read', gateway.yoga.fetch), DELIVERY, { from: at(0), to: at(MINUTE), source: 'gateway-b' });
    expect(errors).toBeUndefined();
    expect(data!.delivery.minutes).toEqual([{ minute: at(0), received: 1, stored: { elasticsearch: 1, postgres: 1, redis: null }, deadLettered: null, missing: 0 }]);
  });

  test('counts the records dead-lettered in the range', async () => {
    const gateway = gatewayWith();
    const before = Date.now() - MINUTE;
    await run.deadLetter([{ event: event('d-9', 0), stage: 'validate', reason: 'invalid_event' }]);
    const { data } = await graphql(run.as('read', gateway.yoga.fetch), '{ delivery(from: "' + new Date(before).toISOString() + '", to: "' + new Date(Date.now() + MINUTE).toISOString() + '") { totals { deadLettered } } }');
    expect(data!.delivery.totals.deadLettered).toBe(1);
  });

  test('a range over 24 hours is refused with BAD_USER_INPUT before any store is asked', async () => {
    const gateway = gatewayWith();
    const { data, errors } = await graphql(run.as('read', gateway.yoga.fetch), `{ delivery(from: "${at(0)}", to: "${at(24 * 60 * MINUTE + 1)}") { totals { received } } }`);
    expect(data?.delivery ?? null).toBeNull();
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', issue: 'range_too_long', limit: 1440 });
    expect(errors?.[0]?.message).toContain('1441 minutes');
  });

  test('a store that is down gives null for its column, and missing from the others', async () => {
    const gateway = gatewayWith({ urls: { elasticsearchUrl: 'http://127.0.0.1:1' } });
    const { data, errors } = await graphql(run.as('read', gateway.yoga.fetch), DELIVERY, { from: at(0), to: at(2 * MINUTE) });
    expect(errors).toBeUndefined();
    expect(data!.delivery.minutes.map((m: { stored: unknown; missing: number }) => [m.stored, m.missing])).toEqual([
      [{ elasticsearch: null, postgres: 3, redis: 3 }, 0],
      [{ elasticsearch: null, postgres: 1, redis: 1 }, 1],
    ]);
    expect(data!.delivery.totals.stored.elasticsearch).toBeNull();
  });

  test('needs a key with the read scope', async () => {
    const gateway = gatewayWith();
    const { errors } = await graphql(gateway.yoga.fetch, `{ delivery(from: "${at(0)}", to: "${at(MINUTE)}") { totals { received } } }`);
    expect(errors?.[0]?.extensions?.code).toBe('missing_credentials');
  });
});
