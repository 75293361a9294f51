import { describe, expect, mock, test } from 'bun:test';
import type { EventEnvelope } from './envelope.ts';
import { decodeEvent, encodeEvent, eventText, keepEventText, stampEvent, type StampedEvent } from './stamped.ts';
import { uuidv7 } from './uuid.ts';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0, 250);
const NOW_ISO = '2024-05-01T12:00:00.250Z';
const fixedId = () => 'generated-id';

describe('stamping an event on arrival', () => {
  test.each<[string, EventEnvelope, Partial<StampedEvent>]>([
    ['a bare event gets a new id, which also becomes its key', { type: 't', data: {} }, { id: 'generated-id', key: 'generated-id' }],
    ['a client id is kept as the id and the key', { id: 'client-1', type: 't', data: {} }, { id: 'client-1', key: 'client-1' }],
    ['a client key is kept alongside a new id', { type: 't', key: 'user-9', data: {} }, { id: 'generated-id', key: 'user-9' }],
    ['a client id and key are both kept', { id: 'c', type: 't', key: 'k', data: {} }, { id: 'c', key: 'k' }],
    ['an event without a timestamp is timed at arrival', { type: 't', data: {} }, { timestamp: NOW_ISO }],
    [
      'a client timestamp is kept',
      { type: 't', timestamp: '2020-01-01T00:00:00.000Z', data: {} },
      { timestamp: '2020-01-01T00:00:00.000Z', receivedAt: NOW_ISO },
    ],
  ])('%s', (_, envelope, expected) => {
    expect(stampEvent(envelope, { now: NOW, newId: fixedId })).toMatchObject({ receivedAt: NOW_ISO, ...expected });
  });

  test('no id is generated when the client sent one, so none is wasted', () => {
    const newId = mock(fixedId);
    stampEvent({ id: 'client-1', type: 't', data: {} }, { now: NOW, newId });
    expect(newId).not.toHaveBeenCalled();
  });

  test('the id generator is given the arrival time, so uuidv7 ids carry it', () => {
    const stamped = stampEvent({ type: 't', data: {} }, { now: NOW, newId: uuidv7 });
    expect(stamped.id.replaceAll('-', '').slice(0, 12)).toBe(NOW.toString(16).padStart(12, '0'));
  });

  test('source and data pass through, and no absent field appears as undefined', () => {
    const stamped = stampEvent({ type: 't', data: { a: 1 } }, { now: NOW, newId: fixedId });
    expect(stamped).toStrictEqual({ id: 'generated-id', type: 't', timestamp: NOW_ISO, key: 'generated-id', receivedAt: NOW_ISO, data: { a: 1 } });
    expect(stampEvent({ type: 't', source: 'web', data: {} }, { now: NOW, newId: fixedId }).source).toBe('web');
  });
});

describe('events on the wire', () => {
  const stamped = stampEvent(
    { id: 'evt-1', type: 'order.created', source: 'orders', key: 'o-1', data: { amount: 9.99, tags: ['ü', '😀'] } },
    { now: NOW, newId: fixedId },
  );

  test('an encoded event decodes to the same event', () => {
    expect(decodeEvent(encodeEvent(stamped))).toEqual({ ok: true, event: stamped });
  });

  test('encoding is UTF-8 JSON that other consumers can read', () => {
    expect(JSON.parse(new TextDecoder().decode(encodeEvent(stamped)))).toEqual(stamped);
  });

  const bytes = (text: string) => new TextEncoder().encode(text);
  const valid = JSON.parse(new TextDecoder().decode(encodeEvent(stamped))) as Record<string, unknown>;
  const { key: _key, ...withoutKey } = valid;

  test.each<[string, Uint8Array, string, string]>([
    ['empty bytes', new Uint8Array(), 'invalid_json', ''],
    ['bytes that are not UTF-8', new Uint8Array([0xc3, 0x28, 0x7b, 0x7d]), 'invalid_json', ''],
    ['truncated JSON', encodeEvent(stamped).slice(0, 20), 'invalid_json', ''],
    ['a JSON number', bytes('42'), 'not_an_object', ''],
    ['a JSON array', bytes('[]'), 'not_an_object', ''],
    ['an event missing its key', bytes(JSON.stringify(withoutKey)), 'missing_field', 'key'],
    ['an unstamped envelope', bytes('{"type":"t","data":{}}'), 'missing_field', 'id'],
    ['an event with an extra field', bytes(JSON.stringify({ ...valid, extra: 1 })), 'unknown_field', 'extra'],
    ['an event with an unreadable receivedAt', bytes(JSON.stringify({ ...valid, receivedAt: 'soon' })), 'invalid_timestamp', 'receivedAt'],
    ['an event with array data', bytes(JSON.stringify({ ...valid, data: [] })), 'invalid_type', 'data'],
  ])('decoding %s fails with a code instead of throwing', (_, input, code, path) => {
    expect(decodeEvent(input)).toMatchObject({ ok: false, code, path });
  });
});

describe('an event read back keeps its text', () => {
  const stamped = stampEvent({ type: 'page.view', data: { n: 1 } }, { now: NOW, newId: fixedId });

  test('text whose timestamps validation left alone is sent on as it came, key order included', () => {
    const text = `{"data":{"n":1},"id":"generated-id","type":"page.view","timestamp":"${NOW_ISO}","key":"generated-id","receivedAt":"${NOW_ISO}"}`;
    const event = { ...stamped };
    keepEventText(event, JSON.parse(text), text);
    expect(eventText(event)).toBe(text);
  });

  test('text whose timestamp validation normalised is not reused: the event is serialised afresh', () => {
    const text = `{"id":"generated-id","type":"page.view","timestamp":"2024-05-01 12:00:00.250","key":"generated-id","receivedAt":"${NOW_ISO}","data":{"n":1}}`;
    const event = { ...stamped };
    keepEventText(event, JSON.parse(text), text);
    expect(eventText(event)).toBe(JSON.stringify(event));
    expect(JSON.parse(eventText(event)).timestamp).toBe(NOW_ISO);
  });

  test('the bytes it was read from are encoded as they came, but not a leading byte order mark', () => {
    const text = JSON.stringify({ ...stamped, data: { city: 'Zürich' } });
    const bytes = new TextEncoder().encode(text);
    const event = JSON.parse(text) as StampedEvent;
    keepEventText(event, event, text, bytes);
    expect(encodeEvent(event)).toBe(bytes);

    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
    const other = JSON.parse(text) as StampedEvent;
    keepEventText(other, other, text, withBom);
    expect(new TextDecoder('utf-8', { ignoreBOM: true }).decode(encodeEvent(other))).toBe(text);
  });
});
