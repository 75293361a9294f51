import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Receipt } from './receipt.ts';
import { acceptedIds, edgeFixture, post, readBack, readTopic, type EdgeFixture, type ReadBack } from './testing.ts';

// Events go in through the real app, and come back out of the real topic with the project's consumer: what a
// downstream worker sees is what this checks (key, headers, stamped body).
let edge: EdgeFixture;
const posted: Array<{ what: string; receipt: Receipt }> = [];
let byId: Map<string, ReadBack>;
let allIds: string[];

async function send(what: string, path: string, body: unknown, headers?: Record<string, string>) {
  const res = await post(edge.app, path, body, headers);
  expect(res.status).toBe(202);
  posted.push({ what, receipt: res.body });
  return res.body;
}

const idOf = (what: string, index = 0) => {
  const r = posted.find((p) => p.what === what)!.receipt.results[index]!;
  if (r.status !== 'accepted') throw new Error(`${what}[${index}] was not accepted`);
  return r.id;
};
const message = (what: string, index = 0) => {
  const m = byId.get(idOf(what, index));
  if (!m) throw new Error(`${what}[${index}] is not in the topic`);
  return m;
};

beforeAll(async () => {
  edge = await edgeFixture({ what: 'kafka' });
  await send('envelope', '/v1/events', { type: 'page.viewed', source: 'web', data: { path: '/home' } });
  await send('envelope-key', '/v1/events', { type: 'cart.updated', source: 'web', key: 'cart-42', timestamp: '2024-02-03T04:05:06.789Z', data: { items: 3 } });
  await send('client-id', '/v1/events', { id: 'client-chosen-id-1', type: 'page.viewed', data: {} });
  await send('order', '/orders', { order_id: 'ord-7', region: 'eu-west', category: 'books', amount: 19.99 });
  await send('order-numeric', '/orders', { order_id: 1234, region: 'us', category: 'toys' });
  await send('sensor', '/data', { sensor_id: 'therm-3', value: 21.5, unit: 'C', timestamp: '2024-01-01T00:00:00Z', battery: 0.9 });
  await send('user-event', '/events', { user_id: 'user-9', event_name: 'Button Clicked', metadata: { button: 'buy' } });
  await send('user-event-id', '/events', { event_id: 'legacy-ev-5', user_id: 77, event_name: 'signed_in' });
  await send('api-event', '/api/events', { event_type: 'signup', payload: { plan: 'pro' }, user_id: 'user-3', source: 'mobile' });
  await send('api-event-nouser', '/api/events', { event_type: 'ping' });
  await send('ingest', '/api/events/ingest', { events: [{ event_type: 'job.done', source: 'batch', data: { job: 1 } }, { event_type: 'job.done', source: 'batch', data: { job: 2 } }] });
  await send('ndjson', '/v1/events', '{"type":"n.one","key":"nd-1"}\n{"type":"n.two"}\n', { 'content-type': 'application/x-ndjson' });
  await send('gzip', '/v1/events', Bun.gzipSync(JSON.stringify([{ type: 'gz.one', data: { big: 'y'.repeat(2000) } }])), { 'content-encoding': 'gzip' });
  await send('queued', '/v1/events?ack=queued', { type: 'q.one', key: 'q-key' });
  // One bad event in a batch: the good one reaches Kafka, the bad one does not.
  const mixed = await post(edge.app, '/v1/events', [{ type: 'mixed.good' }, { type: 'mixed.bad', data: 'x' }]);
  expect(mixed.status).toBe(207);
  posted.push({ what: 'mixed', receipt: mixed.body });

  byId = new Map();
  allIds = [];
  // ?ack=queued answers before the broker acknowledges; the topic is read up to its high watermarks, so wait for the
  // queue to drain first (bounded by readTopic's own wait otherwise).
  for (let i = 0; i < 100 && edge.publisher.queueDepth() > 0; i++) await Bun.sleep(50);
  for (const m of await readTopic(edge.brokers, edge.admin, edge.topic)) {
    const r = readBack(m);
    byId.set(r.event.id, r);
    allIds.push(r.event.id);
  }
});

afterAll(async () => {
  await edge?.close();
});

describe('what reaches Kafka', () => {
  test('every accepted event is in the topic exactly once, and nothing else is', () => {
    const ids = posted.flatMap((p) => acceptedIds(p.receipt));
    expect(ids.length).toBe(17);
    expect([...allIds].sort()).toEqual([...ids].sort());
  });

  test('an event is stored as the stamped envelope, with the id from the receipt and the receive time', () => {
    const { event } = message('envelope');
    expect(event).toEqual({
      id: idOf('envelope'),
      type: 'page.viewed',
      source: 'web',
      key: idOf('envelope'),
      timestamp: event.receivedAt,
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: { path: '/home' },
    });
  });

  test('an event without a key is keyed by its id, and type, source and id ride in the headers', () => {
    const m = message('envelope');
    expect(m.key).toBe(idOf('envelope'));
    expect(m.headers).toEqual({ type: 'page.viewed', source: 'web', id: idOf('envelope') });
  });

  test("the client's key and timestamp are kept", () => {
    const m = message('envelope-key');
    expect(m.key).toBe('cart-42');
    expect(m.event.key).toBe('cart-42');
    expect(m.event.timestamp).toBe('2024-02-03T04:05:06.789Z');
    expect(m.event.receivedAt).not.toBe(m.event.timestamp);
  });

  test('a client-supplied id is kept as the event id, in the body and in the id header', () => {
    expect(idOf('client-id')).toBe('client-chosen-id-1');
    const m = message('client-id');
    expect(m.event.id).toBe('client-chosen-id-1');
    expect(m.headers.id).toBe('client-chosen-id-1');
    expect(m.key).toBe('client-chosen-id-1');
  });

  test('an order from POST /orders is keyed by order_id, typed order.created from source orders, with the order as data', () => {
    const m = message('order');
    expect(m.key).toBe('ord-7');
    expect(m.headers).toEqual({ type: 'order.created', source: 'orders', id: idOf('order') });
    expect(m.event.data).toEqual({ order_id: 'ord-7', region: 'eu-west', category: 'books', amount: 19.99 });
    expect(message('order-numeric').key).toBe('1234');
  });

  test('a reading from POST /data is keyed by sensor_id, typed sensor.reading, its timestamp moved to the envelope', () => {
    const m = message('sensor');
    expect(m.key).toBe('therm-3');
    expect(m.headers).toEqual({ type: 'sensor.reading', source: 'sensors', id: idOf('sensor') });
    expect(m.event.timestamp).toBe('2024-01-01T00:00:00.000Z');
    expect(m.event.data).toEqual({ sensor_id: 'therm-3', value: 21.5, unit: 'C', battery: 0.9 });
  });

  test('a user event from POST /events is keyed by user_id, typed by event_name, and its event_id becomes the id', () => {
    const m = message('user-event');
    expect(m.key).toBe('user-9');
    expect(m.headers).toEqual({ type: 'Button Clicked', source: '', id: idOf('user-event') });
    expect(m.event.data).toEqual({ button: 'buy', user_id: 'user-9' });
    expect(idOf('user-event-id')).toBe('legacy-ev-5');
    const withId = message('user-event-id');
    expect(withId.key).toBe('77');
    expect(withId.event.id).toBe('legacy-ev-5');
  });

  test('an event from POST /api/events is keyed by user_id when it has one, else by its id', () => {
    const m = message('api-event');
    expect(m.key).toBe('user-3');
    expect(m.headers).toEqual({ type: 'signup', source: 'mobile', id: idOf('api-event') });
    expect(m.event.data).toEqual({ plan: 'pro', user_id: 'user-3' });
    expect(message('api-event-nouser').key).toBe(idOf('api-event-nouser'));
  });

  test('each item of POST /api/events/ingest is its own event with its type, source and data', () => {
    for (const index of [0, 1]) {
      const m = message('ingest', index);
      expect(m.key).toBe(idOf('ingest', index));
      expect(m.headers).toEqual({ type: 'job.done', source: 'batch', id: idOf('ingest', index) });
      expect(m.event.data).toEqual({ job: index + 1 });
    }
  });

  test('NDJSON lines, a gzip body and an ?ack=queued event all arrive like any other event', () => {
    expect(message('ndjson', 0).key).toBe('nd-1');
    expect(message('ndjson', 1).event.type).toBe('n.two');
    expect(message('gzip').event.data).toEqual({ big: 'y'.repeat(2000) });
    expect(message('queued').key).toBe('q-key');
  });

  test('from a 207 batch only the accepted event is produced', () => {
    expect(message('mixed', 0).event.type).toBe('mixed.good');
    expect([...byId.values()].some((m) => m.event.type === 'mixed.bad')).toBe(false);
  });
});
