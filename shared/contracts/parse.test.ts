import { describe, expect, test } from 'bun:test';
import { EVENT_KINDS, parseBatch, parseEvent, parseIngest } from './parse.ts';

describe('parsing single events', () => {
  test('an envelope with every field comes back unchanged apart from the timestamp format', () => {
    const input = { id: 'evt:1', type: 'order.created', source: 'shop', timestamp: 0, key: 'o-1', data: { a: [1, 'b', null, true] } };
    expect(parseEvent('event', input)).toEqual({ ok: true, event: { ...input, timestamp: '1970-01-01T00:00:00.000Z' } });
  });

  test('an envelope without data gets an empty object', () => {
    expect(parseEvent('event', { type: 't' })).toEqual({ ok: true, event: { type: 't', data: {} } });
  });

  test('two events without data do not share one data object', () => {
    const a = parseEvent('event', { type: 't' });
    const b = parseEvent('event', { type: 't' });
    expect(a.ok && b.ok && a.event.data !== b.event.data).toBe(true);
  });

  test('ids and types may use letters, digits and . _ : - up to 128 characters', () => {
    const name = `Ab9._:-${'x'.repeat(121)}`;
    expect(parseEvent('event', { id: name, type: name })).toMatchObject({ ok: true, event: { id: name, type: name } });
  });

  test('a key of 256 characters is accepted', () => {
    expect(parseEvent('event', { type: 't', key: 'k'.repeat(256) }).ok).toBe(true);
  });

  test('every kind is handled, and the list of kinds is what the edge can route on', () => {
    expect([...EVENT_KINDS]).toEqual(['event', 'order', 'user_event', 'api_event', 'sensor', 'ingest_item']);
    for (const kind of EVENT_KINDS) expect(parseEvent(kind, null)).toMatchObject({ ok: false, code: 'not_an_object' });
  });
});

describe('parsing batches', () => {
  test('each item gets its own result, in input order, with its index', () => {
    const results = parseBatch('event', [{ type: 'a' }, { type: 'bad/type' }, 'nope', { type: 'd' }]);
    expect(results).toEqual([
      { index: 0, ok: true, event: { type: 'a', data: {} } },
      { index: 1, ok: false, code: 'invalid_value', path: 'type', message: expect.any(String) },
      { index: 2, ok: false, code: 'not_an_object', path: '', message: expect.any(String) },
      { index: 3, ok: true, event: { type: 'd', data: {} } },
    ]);
  });

  test('an empty batch gives no results', () => {
    expect(parseBatch('order', [])).toEqual([]);
  });

  test('the ingest body yields one result per item and a bad item does not sink the others', () => {
    const body = { events: [{ event_type: 'a', source: 's', data: {} }, { event_type: 'b', source: 's' }] };
    expect(parseIngest(body)).toEqual({
      ok: true,
      results: [
        { index: 0, ok: true, event: { type: 'a', source: 's', data: {} } },
        { index: 1, ok: false, code: 'missing_field', path: 'data', message: expect.any(String) },
      ],
    });
  });

  test.each([
    ['not an object', [], 'not_an_object', ''],
    ['missing events', {}, 'missing_field', 'events'],
    ['events not an array', { events: 'x' }, 'invalid_type', 'events'],
    ['an extra top-level field', { events: [], dry_run: true }, 'unknown_field', 'dry_run'],
  ])('an ingest body that is %s fails as a whole', (_, body, code, path) => {
    expect(parseIngest(body)).toMatchObject({ ok: false, code, path });
  });
});
