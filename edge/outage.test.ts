import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStack, down, ROOT, up } from '../infra/stack.ts';
import type { Receipt } from './receipt.ts';
import { acceptedIds, countById, edgeFixture, get, post, readTopic, waitFor, type EdgeFixture, type ErrorBody, type Reply } from './testing.ts';

// A PRIVATE broker on spare ports with its own STACK_HOME (as infra/stack.test.ts does), so it can be stopped and
// started again without touching the broker the rest of the suite uses.
const PORT = 19192;
const BROKERS = `127.0.0.1:${PORT}`;
const home = mkdtempSync(join(tmpdir(), 'event-lens-edge-outage-'));
// Reuse the jars the main stack already resolved (same pom, so the same stamp) instead of fetching them again.
const sharedLib = join(ROOT, '.stack', 'kafka', 'lib');
if (existsSync(join(sharedLib, '.pom-stamp'))) {
  mkdirSync(join(home, 'kafka'), { recursive: true });
  symlinkSync(sharedLib, join(home, 'kafka', 'lib'));
}
const stack = createStack(
  {
    ...process.env,
    STACK_HOME: home,
    KAFKA_BROKERS: BROKERS,
    STACK_KAFKA_CONTROLLER_PORT: '19193',
    STACK_KAFKA_HEAP_MB: '512',
    REDIS_URL: 'redis://cache.invalid:6379',
    ELASTICSEARCH_URL: 'http://search.invalid:9200',
    DATABASE_URL: 'postgres://postgres@db.invalid:5432/test',
  },
  () => {},
);

let edge: EdgeFixture | undefined;
const accepted: string[] = [];

const batch = (what: string, n = 5) => Array.from({ length: n }, (_, i) => ({ type: `outage.${what}`, data: { i } }));

function record(res: Reply<Receipt & ErrorBody>) {
  if (res.status === 202 || res.status === 207) accepted.push(...acceptedIds(res.body));
  return res;
}

beforeAll(async () => {
  await up(stack, ['kafka']);
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
    await down(stack);
    rmSync(home, { recursive: true, force: true });
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
    await down(stack, ['kafka']);
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
    await up(stack, ['kafka']);
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
