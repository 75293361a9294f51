import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Receipt } from './receipt.ts';
import { privateKafka } from './testing-kafka.ts';
import { acceptedIds, countById, edgeFixture, get, post, readTopic, waitFor, type EdgeFixture, type ErrorBody, type Reply } from './testing.ts';

// A broker of this file's own, so it can be stopped and started again without touching the one the rest of the
// suite uses.
const kafka = privateKafka({ what: 'edge-outage', port: 19192 });
const BROKERS = kafka.brokers;

let edge: EdgeFixture | undefined;
const accepted: string[] = [];

const batch = (what: string, n = 5) => Array.from({ length: n }, (_, i) => ({ type: `outage.${what}`, data: { i } }));

function record(res: Reply<Receipt & ErrorBody>) {
  if (res.status === 202 || res.status === 207) accepted.push(...acceptedIds(res.body));
  return res;
}

beforeAll(async () => {
  await kafka.up();
  edge = await edgeFixture({
    what: 'outage',
    brokers: BROKERS,
    limits: { retryAfterSeconds: 5 },
    publisher: { probeIntervalMs: 200, deliveryTimeoutMs: 3000 },
  });
}, 180_000);

afterAll(async () => {
  try {
    await edge?.close();
  } finally {
    await kafka.remove();
  }
}, 120_000);

describe('when the broker goes away and comes back', () => {
  test('with the broker up, the edge is ready and accepts events', async () => {
    expect((await get(edge!.app, '/readyz')).status).toBe(200);
    for (const what of ['before.1', 'before.2']) {
      const res = record(await post(edge!.app, '/v1/events', batch(what)));
      expect(res.status).toBe(202);
    }
  });

  test('once the broker is stopped, /readyz answers 503 and says Kafka is unavailable', async () => {
    await kafka.down();
    await waitFor(async () => (await get(edge!.app, '/readyz')).status === 503, 30_000, '/readyz to answer 503');
    const res = await get(edge!.app, '/readyz');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'unavailable', kafka: expect.any(String) });
  }, 90_000);

  test('while the broker is down, posts answer 503 broker_unavailable with Retry-After, on every route and ack mode', async () => {
    const attempts = [
      post<Receipt & ErrorBody>(edge!.app, '/v1/events', batch('during')),
      post<Receipt & ErrorBody>(edge!.app, '/v1/events?ack=queued', batch('during.queued')),
      post<Receipt & ErrorBody>(edge!.app, '/orders', { order_id: 1, region: 'eu', category: 'x' }),
      post<Receipt & ErrorBody>(edge!.app, '/data', { sensor_id: 's', value: 1 }),
    ];
    for (const res of await Promise.all(attempts)) {
      record(res);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.body.error.code).toBe('broker_unavailable');
    }
  });

  test('a request that is refused as a whole for bad input is still a 400, not a 503', async () => {
    const res = await post(edge!.app, '/v1/events', [{ data: {} }]);
    expect(res.status).toBe(400);
  });

  test('after the broker is started again, /readyz is 200 again and new posts are 202', async () => {
    await kafka.up();
    await waitFor(async () => (await get(edge!.app, '/readyz')).status === 200, 60_000, '/readyz to answer 200 again', 200);
    // The producer may need a moment to reconnect after the probe did: retry (bounded) until the first 202.
    await waitFor(async () => record(await post(edge!.app, '/v1/events', batch('after.first'))).status === 202, 60_000, 'a post to be accepted', 200);
    for (const what of ['after.1', 'after.2']) {
      const res = record(await post(edge!.app, '/v1/events', batch(what)));
      expect(res.status).toBe(202);
    }
  }, 180_000);

  test('every event that got a 202 over the whole outage is in the topic exactly once', async () => {
    expect(accepted.length).toBeGreaterThanOrEqual(5 * 5);
    const counts = countById(await readTopic(BROKERS, edge!.admin, edge!.topic));
    for (const id of accepted) expect(counts.get(id)).toBe(1);
  }, 90_000);
});
