import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Receipt } from './receipt.ts';
import { acceptedIds, countById, edgeFixture, get, post, readTopic, waitFor, type EdgeFixture, type ErrorBody, type Reply } from './testing.ts';

// A burst bigger than the producer queue: the edge must refuse what it cannot hold (503 overloaded with
// Retry-After) rather than drop it, and everything it did accept must reach Kafka.
const QUEUE = 50;
const REQUESTS = 40;
const PER_REQUEST = 20;
let edge: EdgeFixture;

beforeAll(async () => {
  edge = await edgeFixture({ what: 'backpressure', limits: { retryAfterSeconds: 3 }, publisher: { queueMaxMessages: QUEUE } });
});
afterAll(async () => {
  await edge?.close();
});

describe('a burst larger than the producer queue', () => {
  let replies: Array<Reply<Receipt & ErrorBody>>;

  beforeAll(async () => {
    replies = await Promise.all(
      Array.from({ length: REQUESTS }, (_, r) =>
        post(
          edge.app,
          '/v1/events',
          Array.from({ length: PER_REQUEST }, (_, i) => ({ type: 'burst.event', data: { request: r, index: i } })),
        ),
      ),
    );
  });

  test('some requests are accepted whole and some are refused with 503 overloaded and Retry-After', () => {
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThan(0);
    const refused = replies.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.headers.get('retry-after')).toBe('3');
      const code = r.body.error?.code ?? r.body.results?.find((x) => x.status === 'rejected')?.code;
      expect(code).toBe('overloaded');
    }
  });

  test('no request gets a 5xx other than 503', () => {
    expect(replies.filter((r) => r.status >= 500 && r.status !== 503).map((r) => r.status)).toEqual([]);
  });

  test('a request is never half-taken: each is 202 with every event accepted, or 503 with none', () => {
    for (const r of replies) {
      expect([202, 503]).toContain(r.status);
      if (r.status === 202) expect(r.body).toMatchObject({ accepted: PER_REQUEST, rejected: 0 });
    }
  });

  test('once the queue drains the edge accepts again', async () => {
    await waitFor(() => edge.publisher.queueDepth() === 0, 30_000, 'the producer queue to drain');
    const res = await post(edge.app, '/v1/events', Array.from({ length: PER_REQUEST }, () => ({ type: 'after.burst' })));
    expect(res.status).toBe(202);
    replies.push(res);
    expect((await get(edge.app, '/readyz')).status).toBe(200);
  });

  test('every event from a 202 receipt is in Kafka exactly once, and no refused event is', async () => {
    const accepted = replies.filter((r) => r.status === 202).flatMap((r) => acceptedIds(r.body));
    expect(accepted.length).toBe(replies.filter((r) => r.status === 202).length * PER_REQUEST);
    const counts = countById(await readTopic(edge.brokers, edge.admin, edge.topic));
    for (const id of accepted) expect(counts.get(id)).toBe(1);
    expect(counts.size).toBe(accepted.length);
  });

  test('the refusals show in /metrics as 503s on the route', async () => {
    const refused = replies.filter((r) => r.status === 503).length;
    const { text } = await get(edge.adminApp, '/metrics');
    expect(text.split('\n')).toContain(`edge_requests_total{route="/v1/events",status="503"} ${refused}`);
  });
});
