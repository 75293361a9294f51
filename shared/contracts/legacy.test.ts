import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { envelopeSchema, type EventEnvelope } from './envelope.ts';
import { parseEvent, type EventKind } from './parse.ts';

// [the old endpoint and what it sent, kind, body, the envelope it must become]
const mappings: Array<[string, EventKind, unknown, EventEnvelope]> = [
  [
    'POST /orders with extra order fields',
    'order',
    { order_id: 'o-17', region: 'eu-west', category: 'books', amount: 12.5, quantity: 2, customer_id: 'c-9' },
    {
      type: 'order.created',
      source: 'orders',
      key: 'o-17',
      data: { order_id: 'o-17', region: 'eu-west', category: 'books', amount: 12.5, quantity: 2, customer_id: 'c-9' },
    },
  ],
  [
    'POST /orders with a numeric order_id',
    'order',
    { order_id: 1042, region: 'us', category: 'toys' },
    { type: 'order.created', source: 'orders', key: '1042', data: { order_id: 1042, region: 'us', category: 'toys' } },
  ],
  [
    'POST /events with every field',
    'user_event',
    { event_id: 'evt-1', user_id: 'u-1', event_name: 'page_view', metadata: { path: '/home' }, timestamp: '2024-05-01T10:00:00+02:00' },
    { id: 'evt-1', type: 'page_view', timestamp: '2024-05-01T08:00:00.000Z', key: 'u-1', data: { path: '/home', user_id: 'u-1' } },
  ],
  [
    'POST /events with only the required fields',
    'user_event',
    { user_id: 7, event_name: 'login' },
    { type: 'login', key: '7', data: { user_id: 7 } },
  ],
  [
    'POST /events with nulls for the optional fields',
    'user_event',
    { event_id: null, user_id: 'u', event_name: 'login', metadata: null, timestamp: null },
    { type: 'login', key: 'u', data: { user_id: 'u' } },
  ],
  [
    'POST /events whose metadata carries a different user_id',
    'user_event',
    { user_id: 'u-1', event_name: 'x', metadata: { user_id: 'someone-else' } },
    { type: 'x', key: 'u-1', data: { user_id: 'u-1' } },
  ],
  [
    'POST /events with a numeric event_id',
    'user_event',
    { event_id: 99, user_id: 'u', event_name: 'x', timestamp: 1_714_550_400_000 },
    { id: '99', type: 'x', timestamp: '2024-05-01T08:00:00.000Z', key: 'u', data: { user_id: 'u' } },
  ],
  [
    'POST /api/events with every field',
    'api_event',
    { event_type: 'cart.add', payload: { sku: 'A1' }, user_id: 'u-2', source: 'web', timestamp: '2024-05-01' },
    { type: 'cart.add', source: 'web', timestamp: '2024-05-01T00:00:00.000Z', key: 'u-2', data: { sku: 'A1', user_id: 'u-2' } },
  ],
  [
    'POST /api/events without a user',
    'api_event',
    { event_type: 'deploy', payload: { version: '1.2' } },
    { type: 'deploy', data: { version: '1.2' } },
  ],
  ['POST /api/events with nothing but a type', 'api_event', { event_type: 'ping' }, { type: 'ping', data: {} }],
  [
    'POST /data with a unit and extra fields',
    'sensor',
    { sensor_id: 'th-3', value: 21.5, unit: 'C', timestamp: 1_714_550_400_000, room: 'lab' },
    {
      type: 'sensor.reading',
      source: 'sensors',
      timestamp: '2024-05-01T08:00:00.000Z',
      key: 'th-3',
      data: { sensor_id: 'th-3', value: 21.5, unit: 'C', room: 'lab' },
    },
  ],
  [
    'POST /data with only an id and a value',
    'sensor',
    { sensor_id: 5, value: -3 },
    { type: 'sensor.reading', source: 'sensors', key: '5', data: { sensor_id: 5, value: -3 } },
  ],
  [
    'one item of POST /api/events/ingest',
    'ingest_item',
    { event_type: 'job.done', source: 'batch', data: { ms: 120 } },
    { type: 'job.done', source: 'batch', data: { ms: 120 } },
  ],
];

describe('bodies the older services accepted map onto the event envelope', () => {
  test.each(mappings)('%s', (_, kind, body, expected) => {
    const result = parseEvent(kind, body);
    expect(result).toEqual({ ok: true, event: expected });
    // toStrictEqual: absent optional fields must be absent, not present as undefined.
    expect(result.ok && result.event).toStrictEqual(expected);
  });

  test.each(mappings)('the envelope mapped from %s is itself a valid envelope', (_, kind, body) => {
    const result = parseEvent(kind, body);
    expect(result.ok && v.safeParse(envelopeSchema, result.event).success).toBe(true);
  });

  test('an order keeps every extra field, nested ones included', () => {
    const lines = [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 3 }];
    const result = parseEvent('order', { order_id: 'o', region: 'r', category: 'c', lines, note: null });
    expect(result.ok && result.event.data).toEqual({ order_id: 'o', region: 'r', category: 'c', lines, note: null });
  });

  test('a sensor reading without a timestamp gets none, so the edge stamps it on arrival', () => {
    const result = parseEvent('sensor', { sensor_id: 's', value: 1 });
    expect(result.ok && result.event).not.toHaveProperty('timestamp');
  });
});

test('Segment-style event names with single inner spaces are accepted as the type', () => {
  const result = parseEvent('user_event', { user_id: 'u', event_name: 'Page Viewed' });
  expect(result.ok && result.event.type).toBe('Page Viewed');
});

describe('errors in an older body name the field the client actually sent', () => {
  test.each([
    ['user_event', { user_id: 'u', event_name: 'Page  Viewed' }, 'event_name'],
    ['api_event', { event_type: 'a'.repeat(129) }, 'event_type'],
    ['user_event', { event_id: 'has space', user_id: 'u', event_name: 'x' }, 'event_id'],
    ['order', { order_id: 'o', region: 'r' }, 'category'],
    ['sensor', { sensor_id: 's', value: 1, unit: 5 }, 'unit'],
    ['ingest_item', { event_type: 't', source: 's', data: { v: Number.NaN } }, 'data.v'],
  ] as const)('%s: %o is refused at %s', (kind, body, path) => {
    expect(parseEvent(kind, body)).toMatchObject({ ok: false, path });
  });

  test('older bodies other than orders and sensor readings refuse fields they never had', () => {
    expect(parseEvent('api_event', { event_type: 'x', data: {} })).toMatchObject({ ok: false, code: 'unknown_field', path: 'data' });
  });
});
